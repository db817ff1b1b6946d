"""Open a protonfem XDMF file with ParaView's own reader (run with pvpython)
and print, as JSON, the arrays it finds with their ranges and the number of
points and cells. Used by the tests and handy for users checking output:

    pvpython postprocess/check_xdmf.py output/default_device/device.xdmf
"""
import json
import sys

from paraview import servermanager
from paraview.simple import OpenDataFile

if len(sys.argv) != 2:
    sys.exit("usage: pvpython check_xdmf.py FILE.xdmf")
reader = OpenDataFile(sys.argv[1])
if reader is None:
    sys.exit(f"ParaView cannot open {sys.argv[1]}")
# A time series (PNP snapshots) is read at its first time; without a time
# the reader returns an empty data set for a temporal collection.
times = getattr(reader, "TimestepValues", None)
times = [] if times is None else [times] if isinstance(times, float) else list(times)
reader.UpdatePipeline(times[0]) if times else reader.UpdatePipeline()
info = reader.GetDataInformation()
result = {"reader": reader.GetXMLName(), "times": times, "points": info.GetNumberOfPoints(),
          "cells": info.GetNumberOfCells(), "point_arrays": {}, "cell_arrays": {}}
for kind, arrays in (("point_arrays", reader.PointData), ("cell_arrays", reader.CellData)):
    for name in arrays.keys():
        a = arrays[name]
        result[kind][name] = {"components": a.GetNumberOfComponents(),
                              "range": list(a.GetRange(-1 if a.GetNumberOfComponents() > 1 else 0))}
print(json.dumps(result))
