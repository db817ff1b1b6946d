// Three-layer capacitor, 3D (x along the channel, y across, z stacking), for
// protonfem's gmsh import test (tests/integration/test_gmsh_import.py).
// Lengths in nm; Mesh.ScalingFactor writes metres. Kept tiny: n cells per
// edge of every box (default 2, i.e. 24 hexahedra).
//
// Structured hexahedra: three OpenCASCADE boxes glued by BooleanFragments
// (conforming shared faces), then transfinite curves, surfaces and volumes,
// recombined. protonfem needs hexahedra (deal.II FE_Q on a distributed
// triangulation).
//
// Physical groups: the volumes are named like the deck's layers (substrate,
// channel, electrolyte, bottom to top); the bottom face is the "back" contact
// and the top face the "gate". The four sides stay untagged (insulating).
//
//   gmsh -3 -format msh22 capacitor_3d.geo -o capacitor_3d.msh
//   (-format msh41 also works; -setnumber overrides the sizes below.)

SetFactory("OpenCASCADE");
DefineConstant[ L = 150, W = 50, d_substrate = 20, d_channel = 15, d_electrolyte = 10, n = 2 ];
Mesh.ScalingFactor = 1e-9;

z1 = d_substrate;
z2 = z1 + d_channel;
z3 = z2 + d_electrolyte;

Box(1) = {0, 0, 0, L, W, d_substrate};
Box(2) = {0, 0, z1, L, W, d_channel};
Box(3) = {0, 0, z2, L, W, d_electrolyte};
BooleanFragments{ Volume{1}; Delete; }{ Volume{2, 3}; Delete; }

Transfinite Curve{:} = n + 1;
Transfinite Surface{:};
Recombine Surface{:};
Transfinite Volume{:};

// Select by position rather than by tag: the fragment operation may renumber.
e = 1e-3;
Physical Volume("substrate") = Volume In BoundingBox{-e, -e, -e, L + e, W + e, z1 + e};
Physical Volume("channel") = Volume In BoundingBox{-e, -e, z1 - e, L + e, W + e, z2 + e};
Physical Volume("electrolyte") = Volume In BoundingBox{-e, -e, z2 - e, L + e, W + e, z3 + e};
Physical Surface("back") = Surface In BoundingBox{-e, -e, -e, L + e, W + e, e};
Physical Surface("gate") = Surface In BoundingBox{-e, -e, z3 - e, L + e, W + e, z3 + e};
