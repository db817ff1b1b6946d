// Three-layer capacitor, 2D cross-section (x along the channel, y stacking),
// for protonfem's gmsh import tests (tests/integration/test_gmsh_import.py,
// test_bad_input.py). Lengths in nm; Mesh.ScalingFactor writes metres.
//
// Structured on purpose: transfinite curves and surfaces, recombined into
// quadrilaterals, because protonfem (deal.II FE_Q on a distributed
// triangulation) needs quadrilaterals. quads = 0 leaves triangles, which
// protonfem must reject with an input error.
//
// Physical groups: the surfaces are named like the deck's layers
// (substrate, channel, electrolyte, bottom to top); the bottom curve is the
// "back" contact and the top curve the "gate". The side curves stay untagged,
// i.e. insulating.
//
//   gmsh -2 -format msh22 capacitor_2d.geo -o capacitor_2d.msh
//   (-format msh41 also works; -setnumber d_channel 15 etc. overrides the
//   sizes below, which the test passes explicitly.)

DefineConstant[ L = 150, d_substrate = 20, d_channel = 15, d_electrolyte = 10,
                nx = 6, ny = 3, quads = 1 ];
Mesh.ScalingFactor = 1e-9;

y1 = d_substrate;
y2 = y1 + d_channel;
y3 = y2 + d_electrolyte;

// Corners: left column 1-4, right column 5-8, bottom to top.
Point(1) = {0, 0, 0};  Point(5) = {L, 0, 0};
Point(2) = {0, y1, 0}; Point(6) = {L, y1, 0};
Point(3) = {0, y2, 0}; Point(7) = {L, y2, 0};
Point(4) = {0, y3, 0}; Point(8) = {L, y3, 0};

// Horizontal lines 1-4 (interfaces, bottom to top), left 5-7, right 8-10.
Line(1) = {1, 5}; Line(2) = {2, 6}; Line(3) = {3, 7}; Line(4) = {4, 8};
Line(5) = {1, 2}; Line(6) = {2, 3}; Line(7) = {3, 4};
Line(8) = {5, 6}; Line(9) = {6, 7}; Line(10) = {7, 8};

Curve Loop(1) = {1, 8, -2, -5}; Plane Surface(1) = {1};
Curve Loop(2) = {2, 9, -3, -6}; Plane Surface(2) = {2};
Curve Loop(3) = {3, 10, -4, -7}; Plane Surface(3) = {3};

Transfinite Curve{1, 2, 3, 4} = nx + 1;
Transfinite Curve{5, 6, 7, 8, 9, 10} = ny + 1;
Transfinite Surface{1, 2, 3};
If (quads)
  Recombine Surface{1, 2, 3};
EndIf

Physical Surface("substrate") = {1};
Physical Surface("channel") = {2};
Physical Surface("electrolyte") = {3};
Physical Curve("back") = {1};
Physical Curve("gate") = {4};
