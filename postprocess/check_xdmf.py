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
reader.UpdatePipeline()
info = reader.GetDataInformation()
result = {"reader": reader.GetXMLName(), "points": info.GetNumberOfPoints(),
          "cells": info.GetNumberOfCells(), "point_arrays": {}, "cell_arrays": {}}
for kind, arrays in (("point_arrays", reader.PointData), ("cell_arrays", reader.CellData)):
    for name in arrays.keys():
        a = arrays[name]
        result[kind][name] = {"components": a.GetNumberOfComponents(),
                              "range": list(a.GetRange(-1 if a.GetNumberOfComponents() > 1 else 0))}
print(json.dumps(result))
