"""Picture of the proton density of a 2D or 3D protonfem PNP run, for plot.py.
Run with ParaView's batch interpreter (it needs an X display, hence xvfb-run):

    xvfb-run -a pvbatch postprocess/field_slice_pv.py FIELDS.xdmf OUT.png [INFO.json]

Reads the XDMF file with ParaView's XDMF3 reader, takes the last time step,
cuts a 3D mesh at the mid-plane y = (ymin + ymax)/2 (a 2D mesh is shown as it
is), colors by proton_density on a log scale and saves a screenshot.
INFO.json (optional) receives what was drawn: array, time, data range, slice.
"""
import json
import sys

import numpy

from paraview import servermanager
from paraview.simple import (ColorBy, GetColorTransferFunction, GetScalarBar, Render,
                             SaveScreenshot, Show, Slice, Text, Transform, Xdmf3ReaderS,
                             CreateRenderView, SetActiveView)
from paraview.vtk.util.numpy_support import vtk_to_numpy

ARRAY = "proton_density"
NM = 1e9  # the mesh is in metres; scale to nm so the axis labels read naturally


def last_time(reader):
    """Latest time value of the temporal collection (None for a static file)."""
    times = list(reader.TimestepValues) if reader.TimestepValues else []
    return times[-1] if times else None


def is_3d(bounds):
    """A 2D deal.II mesh is written with XY geometry, so its z extent is zero."""
    return bounds[5] - bounds[4] > 0


def positive_range(source, time):
    """(min over positive values, max) of ARRAY on what `source` produces.
    A log color scale cannot start at 0, and non-hosting layers may hold 0."""
    source.UpdatePipeline(time)
    data = servermanager.Fetch(source)
    values = None
    # Slices and unstructured grids come back as a single dataset; a
    # multiblock (from a parallel reader) is walked leaf by leaf.
    blocks = [data] if not data.IsA("vtkMultiBlockDataSet") else [
        data.GetBlock(i) for i in range(data.GetNumberOfBlocks())]
    for block in blocks:
        if block is None or block.GetPointData().GetArray(ARRAY) is None:
            continue
        v = vtk_to_numpy(block.GetPointData().GetArray(ARRAY))
        values = v if values is None else numpy.concatenate([values, v])
    if values is None or values.size == 0:
        raise SystemExit(f"field_slice_pv.py: no point array '{ARRAY}' in the data")
    positive = values[values > 0]
    hi = float(values.max())
    lo = float(positive.min()) if positive.size else hi
    return lo, hi, float(values.min())


def place_camera(view, b, x_z_plane):
    """Look at the x-z plane (3D slice) or the x-y plane (2D mesh), fitting the
    drawn rectangle (ResetCamera fits the bounding sphere, which leaves a thin
    device small) into the left part of the picture; the color bar sits right."""
    view.InteractionMode = "2D"
    center = [0.5 * (b[0] + b[1]), 0.5 * (b[2] + b[3]), 0.5 * (b[4] + b[5])]
    width = b[1] - b[0]
    height = (b[5] - b[4]) if x_z_plane else (b[3] - b[2])
    aspect = view.ViewSize[0] / view.ViewSize[1]
    usable = 0.8  # fraction of the picture width for the mesh
    scale = 0.6 * max(height, width / (aspect * usable))
    # Both views have +x to the right: move the camera right so the mesh
    # centers in the usable part.
    focal = [center[0] + (1 - usable) * scale * aspect, center[1], center[2]]
    distance = 10 * max(width, height, 1.0)
    if x_z_plane:
        view.CameraPosition = [focal[0], focal[1] - distance, focal[2]]
        view.CameraViewUp = [0, 0, 1]
    else:
        view.CameraPosition = [focal[0], focal[1], focal[2] + distance]
        view.CameraViewUp = [0, 1, 0]
    view.CameraFocalPoint = focal
    view.CameraParallelProjection = 1
    view.CameraParallelScale = scale


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit("usage: pvbatch field_slice_pv.py FIELDS.xdmf OUT.png [INFO.json]")
    xdmf, png = argv[1], argv[2]
    reader = Xdmf3ReaderS(FileName=[xdmf])
    reader.PointArrays = [ARRAY]
    time = last_time(reader)
    reader.UpdatePipeline(time)
    bounds = reader.GetDataInformation().GetBounds()

    shown = Transform(Input=reader)
    shown.Transform.Scale = [NM, NM, NM]
    slice_info = None
    if is_3d(bounds):
        y_mid = 0.5 * (bounds[2] + bounds[3])
        shown = Slice(Input=shown)
        shown.SliceType = "Plane"
        shown.SliceType.Origin = [0.0, y_mid * NM, 0.0]
        shown.SliceType.Normal = [0.0, 1.0, 0.0]
        slice_info = {"normal": [0, 1, 0], "y_m": y_mid}
    lo, hi, raw_min = positive_range(shown, time)

    view = CreateRenderView()
    SetActiveView(view)
    view.ViewSize = [1400, 700]
    view.OrientationAxesVisibility = 0
    # ParaView 5.10+ takes the background from the color palette unless told not to.
    if hasattr(view, "UseColorPaletteForBackground"):
        view.UseColorPaletteForBackground = 0
    view.Background = [1, 1, 1]
    if time is not None:
        view.ViewTime = time
    display = Show(shown, view)
    ColorBy(display, ("POINTS", ARRAY))
    # Order matters: preset, then range, then the control points moved to log
    # space; otherwise the preset's linear points stay and most colors collapse.
    lut = GetColorTransferFunction(ARRAY)
    lut.ApplyPreset("Viridis (matplotlib)", True)  # perceptually uniform over many decades
    lut.AutomaticRescaleRangeMode = "Never"
    lut.RescaleTransferFunction(lo, hi if hi > lo else lo * 10)
    lut.MapControlPointsToLogSpace()
    lut.UseLogScale = 1
    bar = GetScalarBar(lut, view)
    bar.Title = "proton density [m^-3]"
    bar.ComponentTitle = ""
    bar.TitleColor = bar.LabelColor = [0, 0, 0]
    bar.WindowLocation = "Any Location"
    bar.Position = [0.87, 0.15]
    bar.ScalarBarLength = 0.7
    bar.Visibility = 1
    display.SetScalarBarVisibility(view, True)

    # The first render of a view resets its camera; do it before placing ours.
    Render(view)
    place_camera(view, shown.GetDataInformation().GetBounds(), slice_info is not None)
    title = Text(Text="proton density" + (f" at t = {time * 1e9:.4g} ns" if time is not None else "")
                 + (f", slice y = {slice_info['y_m'] * NM:.4g} nm" if slice_info else ""))
    title_display = Show(title, view)
    title_display.WindowLocation = "Upper Center"
    title_display.Color = [0, 0, 0]
    title_display.FontSize = 14
    view.AxesGrid.Visibility = 1
    view.AxesGrid.XTitle, view.AxesGrid.YTitle, view.AxesGrid.ZTitle = "x [nm]", "y [nm]", "z [nm]"
    for axis in ("X", "Y", "Z"):
        setattr(view.AxesGrid, axis + "TitleColor", [0, 0, 0])
        setattr(view.AxesGrid, axis + "LabelColor", [0, 0, 0])
    view.AxesGrid.GridColor = [0.3, 0.3, 0.3]
    Render(view)
    SaveScreenshot(png, view, ImageResolution=[1400, 700])

    if len(argv) == 4:
        info = {"array": ARRAY, "color_scale": "log10", "time_s": time,
                "data_range": [raw_min, hi], "color_range": [lo, hi],
                "bounds_m": list(bounds), "dimension": 3 if slice_info else 2,
                "slice": slice_info, "xdmf": xdmf}
        with open(argv[3], "w") as f:
            json.dump(info, f, indent=1)


if __name__ == "__main__":
    main(sys.argv)
