"""Plots of a protonfem PNP run folder or sweep folder, as PNG files.

    /usr/bin/python3 postprocess/plot.py FOLDER [--out DIR]
    bash scripts/plot.sh FOLDER [--out DIR]

FOLDER is recognised as
  * a sweep folder when it holds sweep.csv: heat maps of the design metrics
    over the first two swept parameters (line plots for a one-parameter sweep)
    and ln(peak ionic current) against V/d;
  * a run folder when it holds a BASE_summary.json with "problem": "pnp":
    timeseries.png, plus profiles.png (1D) or field_slice.png (2D/3D, drawn by
    ParaView through postprocess/field_slice_pv.py).
PNGs go to FOLDER/plots (or DIR). Next to every NAME.png goes
NAME.plotdata.json with the arrays that were drawn, the table they came from
and the columns used, so tests can check a picture against its table.
Uses only numpy, matplotlib (Agg, no display needed) and the standard library.
"""
import argparse
import csv
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # batch use: no display on clusters and in tests
import matplotlib.pyplot as plt  # noqa: E402  (must follow the backend choice)
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NS = 1e9  # s -> ns
NM = 1e9  # m -> nm

# Metric columns of sweep.csv, in the order the sweep driver writes them.
SWEEP_METRICS = [
    "charge_per_pulse_C", "protons_per_pulse", "gate_charge_per_pulse_C", "delta_G_per_pulse_S",
    "energy_per_pulse_J", "ionic_energy_per_pulse_J", "peak_gate_current_A", "peak_ionic_current_A",
    "G_initial_S", "G_final_S", "peak_field_over_breakdown", "breakdown_margin",
    "time_to_target_charge_s",
]
HEATMAP_METRICS = ["delta_G_per_pulse_S", "energy_per_pulse_J", "charge_per_pulse_C", "peak_gate_current_A"]
# Always drawn with a log10 color/axis; other metrics go log only when they
# are all positive and span more than LOG_SPAN (else one cell hides the rest).
ALWAYS_LOG = {"peak_gate_current_A"}
LOG_SPAN = 100.0


# --------------------------------------------------------------------------
# Tables and output files
# --------------------------------------------------------------------------
class Table:
    """A CSV file as columns of strings; '#' lines (profile headers) skipped."""

    def __init__(self, path):
        self.path = path
        with open(path, newline="") as f:
            lines = [line for line in f if not line.startswith("#")]
        reader = csv.reader(lines)
        self.columns = next(reader, [])
        self.rows = [dict(zip(self.columns, row)) for row in reader if row]

    def has(self, column):
        return column in self.columns

    def strings(self, column):
        return [row.get(column, "") for row in self.rows]

    def floats(self, column):
        """The column as floats; blank or unreadable cells become NaN."""
        return np.array([to_float(v) for v in self.strings(column)], dtype=float)


def to_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def comment_value(path, key):
    """Value of a '# key = value' header line (the profiles carry their time so)."""
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                break
            m = re.match(r"#\s*" + re.escape(key) + r"\s*=\s*(\S+)", line)
            if m:
                return to_float(m.group(1))
    return math.nan


def jsonable(obj):
    """Plain JSON types; NaN/inf become null (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


class Output:
    """Writes NAME.png and NAME.plotdata.json into one folder and lists them."""

    def __init__(self, folder):
        self.folder = folder
        self.written = []
        self.problems = []

    def path(self, name, ext=".png"):
        # Made on first use, so a folder that turns out to hold nothing to
        # plot does not get an empty plots/ folder.
        os.makedirs(self.folder, exist_ok=True)
        return os.path.join(self.folder, name + ext)

    def save(self, fig, name, data):
        png = self.path(name)
        fig.savefig(png, dpi=120, bbox_inches="tight")
        plt.close(fig)
        self.record(png)
        self.plotdata(name, data)

    def plotdata(self, name, data):
        path = self.path(name, ".plotdata.json")
        with open(path, "w") as f:
            json.dump(jsonable(dict(data, png=name + ".png")), f, indent=1)
        self.record(path)

    def record(self, path):
        self.written.append(path)
        print(path)


# --------------------------------------------------------------------------
# Run folders
# --------------------------------------------------------------------------
def find_runs(folder):
    """(base, summary) of every PNP run summary in the folder."""
    runs = []
    for path in sorted(glob.glob(os.path.join(folder, "*_summary.json"))):
        try:
            with open(path) as f:
                summary = json.load(f)
        except (OSError, ValueError) as e:
            print(f"warning: skipping unreadable {path}: {e}", file=sys.stderr)
            continue
        if isinstance(summary, dict) and summary.get("problem") == "pnp":
            runs.append((os.path.basename(path)[: -len("_summary.json")], summary))
    return runs


def resolve(folder, recorded, default_name=None):
    """A file the summary names. The summary holds paths relative to where the
    run was started, so look for the basename in the run folder first."""
    names = [os.path.basename(recorded)] if recorded else []
    if default_name:
        names.append(default_name)
    for name in names:
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    if recorded and os.path.isabs(recorded) and os.path.isfile(recorded):
        return recorded
    return None


def plot_run(folder, base, summary, out, prefix):
    series = resolve(folder, summary.get("time_series_csv"), base + "_timeseries.csv")
    if series:
        plot_timeseries(Table(series), base, summary, out, prefix + "timeseries")
    else:
        out.problems.append(f"{folder}: no time series CSV for run '{base}'")
    dim = summary.get("dimension")
    if dim == 1:
        plot_profiles(folder, base, out, prefix + "profiles")
    elif dim in (2, 3):
        # fields_xdmf is null when the run wrote no fields (Write fields = false).
        xdmf = resolve(folder, summary.get("fields_xdmf")) if summary.get("fields_xdmf") else None
        if xdmf and xdmf.endswith(".xdmf"):
            plot_field_slice(xdmf, out, prefix + "field_slice")
        else:
            print(f"note: run '{base}' wrote no XDMF fields; field_slice.png skipped")


def first_finite(values):
    finite = values[np.isfinite(values)]
    return finite[0] if finite.size else math.nan


def plot_timeseries(table, base, summary, out, name):
    """Four panels over time: gate voltage, currents, charges, conductance."""
    t_ns = table.floats("time_s") * NS
    fig, axes = plt.subplots(4, 1, sharex=True, figsize=(8, 10))
    series = {}

    def draw(ax, column, label, style="-", offset=0.0, mask=None):
        if not table.has(column):
            return
        y = table.floats(column) - offset
        keep = np.isfinite(y) & np.isfinite(t_ns) if mask is None else mask(y)
        ax.plot(t_ns[keep], y[keep], style, label=label)
        series[label] = {"panel": axes.tolist().index(ax), "column": column, "offset": offset,
                         "x": t_ns[keep], "y": y[keep]}

    draw(axes[0], "gate_voltage_V", "V_gate")
    axes[0].set_ylabel("V_gate [V]")
    draw(axes[1], "gate_current_A", "I_gate")
    draw(axes[1], "ionic_current_A", "I_ionic", "--")
    axes[1].set_ylabel("current [A]")
    draw(axes[2], "injected_charge_C", "injected charge")
    channel0 = first_finite(table.floats("channel_charge_C")) if table.has("channel_charge_C") else 0.0
    draw(axes[2], "channel_charge_C", "channel charge - initial", offset=channel0)
    axes[2].set_ylabel("charge [C]")
    # The conductance is read out only every few steps: blank cells are skipped,
    # and a log axis needs positive values.
    draw(axes[3], "conductance_S", "G", ".-", mask=lambda y: np.isfinite(y) & (y > 0) & np.isfinite(t_ns))
    if "G" in series and len(series["G"]["y"]):
        # Log axis as asked for, unless G changes by less than 10x: a log axis
        # over a narrow range labels only minor ticks, unreadably.
        g = series["G"]["y"]
        series["G"]["y_scale"] = "log" if g.max() > 10 * g.min() else "linear"
        axes[3].set_yscale(series["G"]["y_scale"])
    else:
        axes[3].text(0.5, 0.5, "no conductance read-out", transform=axes[3].transAxes, ha="center")
    axes[3].set_ylabel("G [S]")
    axes[3].set_xlabel("time [ns]")
    for ax in axes:
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize="small")
    units = summary.get("extensive_quantities", "")
    fig.suptitle(f"{base}: {summary.get('dimension', '?')}D PNP run"
                 + (f"\n(extensive quantities {units})" if units else ""))
    out.save(fig, name, {"source": table.path, "columns": sorted({s["column"] for s in series.values()}),
                         "x": t_ns, "x_column": "time_s", "x_scale": NS, "x_label": "time [ns]",
                         "extensive_quantities": units, "series": series})


def profile_files(folder, base):
    """BASE_NNNN_profile.csv snapshot files, in snapshot order."""
    pattern = re.compile(re.escape(base) + r"_(\d+)_profile\.csv")
    found = []
    for path in glob.glob(os.path.join(folder, base + "_*_profile.csv")):
        m = pattern.fullmatch(os.path.basename(path))
        if m:
            found.append((int(m.group(1)), path))
    return [path for _, path in sorted(found)]


def region_boundaries(z_nm, region):
    """z where region_id changes (layer interfaces), for guide lines."""
    change = np.nonzero(np.diff(region) != 0)[0]
    return sorted({float(z_nm[i + 1]) for i in change})


def plot_profiles(folder, base, out, name):
    """phi and log10 proton density against z, one line per snapshot."""
    files = profile_files(folder, base)
    if not files:
        print(f"note: no {base}_NNNN_profile.csv files in {folder}; profiles.png skipped")
        return
    fig, (ax_phi, ax_c) = plt.subplots(2, 1, sharex=True, figsize=(8, 7))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(files)))
    series, boundaries = {}, []
    for path, color in zip(files, colors):
        table = Table(path)
        z_nm = table.floats("z_m") * NM
        phi = table.floats("phi_V")
        density = table.floats("proton_density_m3")
        # log10 of zero density (layers without protons) is left as a gap.
        log_c = np.full_like(density, np.nan)
        log_c[density > 0] = np.log10(density[density > 0])
        t = comment_value(path, "time_s")
        label = f"t = {t * NS:.4g} ns" if math.isfinite(t) else os.path.basename(path)
        ax_phi.plot(z_nm, phi, color=color, label=label)
        ax_c.plot(z_nm, log_c, color=color, label=label)
        series[os.path.basename(path)] = {"source": path, "time_s": t, "label": label, "x": z_nm,
                                          "y_phi": phi, "y_log10_density": log_c}
        if table.has("region_id"):
            boundaries = region_boundaries(z_nm, table.floats("region_id"))
    for ax in (ax_phi, ax_c):
        for zb in boundaries:
            ax.axvline(zb, color="gray", lw=0.8, ls=":")
        ax.grid(alpha=0.3)
    ax_phi.set_ylabel("phi [V]")
    ax_c.set_ylabel("log10(proton density [m^-3])")
    ax_c.set_xlabel("z [nm]")
    ax_phi.legend(fontsize="small")
    fig.suptitle(f"{base}: potential and proton density profiles")
    out.save(fig, name, {"source": files, "columns": ["z_m", "phi_V", "proton_density_m3"],
                         "x_column": "z_m", "x_scale": NM, "x_label": "z [nm]",
                         "layer_interfaces_nm": boundaries, "series": series})


def pv_failure_summary(returncode, text):
    """The lines of a failed pvbatch run worth showing: its error lines (a
    crash also prints a long stack trace), else its last few lines."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    errors = [l for l in lines if re.search(r"\bERR\b|error|Error|FATL|Traceback", l)]
    shown = (errors or lines)[-8:]
    return f"pvbatch exited {returncode}:\n    " + "\n    ".join(shown)


def plot_field_slice(xdmf, out, name):
    """field_slice.png through ParaView (pvbatch under a virtual X server)."""
    missing = [tool for tool in ("xvfb-run", "pvbatch") if shutil.which(tool) is None]
    if missing:
        print(f"warning: {' and '.join(missing)} not found; {name}.png skipped "
              "(install xvfb and paraview, see scripts/install_dependencies.sh)")
        return
    png, info_path = out.path(name), out.path(name, ".pvinfo.json")
    # xvfb-run's default screen is 8 bits deep, which has no OpenGL visual
    # for ParaView ("bad X server connection"): ask for 24 bits.
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", "pvbatch",
           os.path.join(HERE, "field_slice_pv.py"), xdmf, png, info_path]
    # A virtual X server that is not up yet, or a display number another
    # job took in between, shows as "bad X server connection": try again.
    for attempt in range(3):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            ok = p.returncode == 0 and os.path.isfile(png)
            detail = pv_failure_summary(p.returncode, p.stdout + p.stderr)
        except subprocess.TimeoutExpired:
            ok, detail = False, "timed out after 600 s"
            break
        if ok or "X server" not in p.stdout + p.stderr:
            break
    if not ok:
        out.problems.append(f"ParaView could not draw {xdmf}: {detail}")
        return
    out.record(png)
    with open(info_path) as f:
        info = json.load(f)
    os.remove(info_path)
    out.plotdata(name, dict(info, source=xdmf, columns=[info.get("array")]))


# --------------------------------------------------------------------------
# Sweep folders
# --------------------------------------------------------------------------
class Parameter:
    """One swept deck parameter: its column, axis label and display scaling."""

    def __init__(self, path, strings):
        self.path = path
        leaf = path.split("/")[-1]
        self.unit, self.scale = unit_of(path)
        # "Geometry/Layer electrolyte/Thickness" -> "electrolyte Thickness [nm]"
        context = path.split("/")[-2].replace("Layer ", "") + " " if "/" in path else ""
        self.label = f"{context}{leaf}" + (f" [{self.unit}]" if self.unit else "")
        numbers = [to_float(s) for s in strings]
        # A parameter may also be a word (a material); such axes are categorical.
        self.numeric = all(math.isfinite(v) for v in numbers)
        self.raw = numbers if self.numeric else list(strings)

    def levels(self, indices):
        """Distinct values among the given rows, sorted (numbers) or as met (words)."""
        values = [self.raw[i] for i in indices]
        return sorted(set(values)) if self.numeric else list(dict.fromkeys(values))

    def shown(self, value):
        return value * self.scale if self.numeric else value

    def tick(self, value):
        return f"{self.shown(value):.4g}" if self.numeric else str(value)


def unit_of(path):
    """(unit, factor from SI) for a deck parameter path: lengths in nm, the
    waveform's times in ns. 'Width' is a length under Geometry, a time in the
    gate waveform, so the section decides."""
    leaf = path.split("/")[-1].lower()
    if leaf.endswith("thickness") or (path.startswith("Geometry") and any(
            w in leaf for w in ("size", "length", "width", " min", " max"))):
        return "nm", NM
    if "voltage" in leaf or leaf == "amplitude":
        return "V", 1.0
    if leaf.endswith("time") or leaf.endswith("step") or leaf in ("delay", "width", "period"):
        return "ns", NS
    if leaf == "temperature":
        return "K", 1.0
    return "", 1.0


class Sweep:
    def __init__(self, folder):
        self.folder = folder
        self.table = Table(os.path.join(folder, "sweep.csv"))
        self.summary = {}
        summary_path = os.path.join(folder, "sweep_summary.json")
        if os.path.isfile(summary_path):
            with open(summary_path) as f:
                self.summary = json.load(f)
        paths = self.summary.get("parameters") or self.infer_parameters()
        missing = [p for p in paths if not self.table.has(p)]
        if missing:
            raise SystemExit(f"error: {self.table.path} lacks the parameter column(s) {missing}")
        self.params = [Parameter(p, self.table.strings(p)) for p in paths]
        # No status column (an older or hand-made table): every point counts as run.
        status = self.table.strings("status") if self.table.has("status") else ["ok"] * len(self.table.rows)
        self.failed = np.array([s.strip() != "ok" for s in status], dtype=bool)
        self.passed = np.array([s.strip().lower() in ("1", "1.0", "true", "yes")
                                for s in self.table.strings("pass")], dtype=bool) & ~self.failed
        self.breakdown = self.breakdown_limited()

    def infer_parameters(self):
        """Without sweep_summary.json: the columns between 'ranks' and the metrics."""
        cols = self.table.columns
        start = cols.index("ranks") + 1 if "ranks" in cols else 0
        end = next((i for i, c in enumerate(cols) if c in SWEEP_METRICS), len(cols))
        return cols[start:end]

    def metric(self, column):
        values = self.table.floats(column) if self.table.has(column) else np.full(len(self.table.rows), np.nan)
        values[self.failed] = np.nan  # a failed point has no metrics, whatever the cell says
        return values

    def breakdown_limited(self):
        """Points past the breakdown field: breakdown_margin < 1 where given,
        else peak_field_over_breakdown > 1."""
        margin = self.metric("breakdown_margin")
        over = self.metric("peak_field_over_breakdown")
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(margin), margin < 1, np.isfinite(over) & (over > 1))

    def find(self, suffix):
        return next((p for p in self.params if p.path.split("/")[-1] == suffix), None)


def combinations(sweep):
    """Row groups with equal values of the parameters after the first two."""
    others = sweep.params[2:]
    groups = {}
    for i in range(len(sweep.table.rows)):
        groups.setdefault(tuple(p.raw[i] for p in others), []).append(i)
    return [({p.path: v for p, v in zip(others, key)}, rows) for key, rows in groups.items()]


def use_log(metric, values):
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.any(finite <= 0):
        return False
    return metric in ALWAYS_LOG or finite.max() / finite.min() > LOG_SPAN


def grid(sweep, rows, ys, xs, values):
    """values of the given rows placed on the (y level, x level) grid; NaN where no point."""
    py, px = sweep.params[0], sweep.params[1]
    out = np.full((len(ys), len(xs)), np.nan if values.dtype.kind == "f" else False, dtype=values.dtype)
    for i in rows:
        out[ys.index(py.raw[i]), xs.index(px.raw[i])] = values[i]
    return out


def outline(mask):
    """Segments around the union of True cells (cell (iy, ix) spans ix +- 0.5)."""
    segments = []
    ny, nx = mask.shape
    for iy in range(ny):
        for ix in range(nx):
            if not mask[iy, ix]:
                continue
            x0, x1, y0, y1 = ix - 0.5, ix + 0.5, iy - 0.5, iy + 0.5
            if iy == 0 or not mask[iy - 1, ix]:
                segments.append([(x0, y0), (x1, y0)])
            if iy == ny - 1 or not mask[iy + 1, ix]:
                segments.append([(x0, y1), (x1, y1)])
            if ix == 0 or not mask[iy, ix - 1]:
                segments.append([(x0, y0), (x0, y1)])
            if ix == nx - 1 or not mask[iy, ix + 1]:
                segments.append([(x1, y0), (x1, y1)])
    return segments


def same_value(a, b):
    """A parameter value from the CSV against one from JSON: numbers may have
    been printed with different digits, words must match exactly."""
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    except (TypeError, ValueError):
        return str(a) == str(b)


def design_answer_points(sweep, fixed, xs, ys):
    """(ix, iy) of the smallest passing design value per column, from
    sweep_summary.json's design_answer, for this combination of the others."""
    points = []
    px = sweep.params[1]
    for entry in sweep.summary.get("design_answer") or []:
        best = entry.get("smallest_passing")
        if best is None or px.path not in entry:
            continue
        if not all(k in entry and same_value(v, entry[k]) for k, v in fixed.items()):
            continue
        ix = next((i for i, x in enumerate(xs) if same_value(x, entry[px.path])), None)
        iy = next((i for i, y in enumerate(ys) if same_value(y, best)), None)
        if ix is not None and iy is not None:
            points.append((ix, iy))
    return points


def heatmap(sweep, metric, fixed, rows, out, name):
    py, px = sweep.params[0], sweep.params[1]
    ys, xs = py.levels(rows), px.levels(rows)
    z = grid(sweep, rows, ys, xs, sweep.metric(metric))
    passed = grid(sweep, rows, ys, xs, sweep.passed)
    failed = grid(sweep, rows, ys, xs, sweep.failed)
    breakdown = grid(sweep, rows, ys, xs, sweep.breakdown)
    over = grid(sweep, rows, ys, xs, sweep.metric("peak_field_over_breakdown"))
    log = use_log(metric, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        color = np.log10(z) if log else z

    fig, ax = plt.subplots(figsize=(1.2 * len(xs) + 4, 0.8 * len(ys) + 3))
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("0.85")  # blank metric or point not run
    image = ax.imshow(np.ma.masked_invalid(color), origin="lower", aspect="auto", cmap=cmap,
                      extent=(-0.5, len(xs) - 0.5, -0.5, len(ys) - 0.5), interpolation="nearest")
    fig.colorbar(image, ax=ax, label=f"log10({metric})" if log else metric)
    handles = mark_cells(ax, passed, failed, breakdown, over)
    answers = design_answer_points(sweep, fixed, xs, ys)
    if answers:
        ax.plot([a[0] for a in answers], [a[1] for a in answers], "*", color="white", mec="black",
                ms=14, ls="none")
        handles.append(Line2D([], [], marker="*", color="white", mec="black", ms=12, ls="none",
                              label="smallest passing (design answer)"))
    ax.set_xticks(range(len(xs)), [px.tick(x) for x in xs])
    ax.set_yticks(range(len(ys)), [py.tick(y) for y in ys])
    ax.set_xlabel(px.label)
    ax.set_ylabel(py.label)
    ax.set_title(metric + "".join(f"\n{p.label} = {p.tick(fixed[p.path])}" for p in sweep.params[2:]))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.12), ncol=2, fontsize="small")
    out.save(fig, name, {
        "source": sweep.table.path,
        "columns": [py.path, px.path, metric, "status", "pass", "breakdown_margin",
                    "peak_field_over_breakdown"],
        "metric": metric, "color_scale": "log10" if log else "linear",
        "x_parameter": px.path, "x": [px.shown(x) for x in xs], "x_values": xs, "x_scale": px.scale,
        "y_parameter": py.path, "y": [py.shown(y) for y in ys], "y_values": ys, "y_scale": py.scale,
        "z": z, "color": color, "pass": passed, "failed": failed, "breakdown": breakdown,
        "fixed": fixed, "design_answer_cells": answers})


def mark_cells(ax, passed, failed, breakdown, over):
    """Design window outline, breakdown hatching and contour, failed points;
    returns legend handles for what was drawn."""
    handles = []
    if passed.any():
        ax.add_collection(LineCollection(outline(passed), colors="red", linewidths=2.5))
        handles.append(Line2D([], [], color="red", lw=2.5, label="passes targets (design window)"))
    else:
        handles.append(Line2D([], [], ls="none", label="no point passes the targets"))
    if breakdown.any():
        # Crossed black and white hatching stays visible on dark and light colors.
        for iy, ix in zip(*np.nonzero(breakdown)):
            for hatch, color in (("//", "white"), ("\\\\", "black")):
                ax.add_patch(Rectangle((ix - 0.5, iy - 0.5), 1, 1, fill=False, hatch=hatch,
                                       edgecolor=color, lw=0))
        handles.append(Patch(facecolor="none", edgecolor="black", hatch="xx",
                             label="beyond breakdown (margin < 1)"))
    finite = np.isfinite(over)
    # A contour needs a 2x2 block and values on both sides of the limit.
    if min(over.shape) >= 2 and finite.sum() >= 4 and np.nanmin(over) < 1 < np.nanmax(over):
        ax.contour(np.arange(over.shape[1]), np.arange(over.shape[0]), np.ma.masked_invalid(over),
                   levels=[1.0], colors="orange", linewidths=2, linestyles="--")
        handles.append(Line2D([], [], color="orange", lw=2, ls="--", label="peak field = breakdown"))
    if failed.any():
        iy, ix = np.nonzero(failed)
        ax.plot(ix, iy, "x", color="black", ms=12, mew=2.5, ls="none")
        handles.append(Line2D([], [], marker="x", color="black", ms=10, mew=2.5, ls="none",
                              label="run failed"))
    return handles


def plot_heatmaps(sweep, out):
    combos = combinations(sweep)
    if len(combos) > 1:
        print(f"note: {len(sweep.params)} swept parameters; one heat map per combination "
              f"of {', '.join(p.path for p in sweep.params[2:])} ({len(combos)} combinations)")
    for k, (fixed, rows) in enumerate(combos, 1):
        suffix = f"_{k}" if len(combos) > 1 else ""
        if fixed:
            print(f"  combination {k}: " + ", ".join(f"{p.path} = {fixed[p.path]}" for p in sweep.params[2:]))
        for metric in HEATMAP_METRICS:
            if not sweep.table.has(metric):
                print(f"note: sweep.csv has no column {metric}; heatmap skipped")
                continue
            heatmap(sweep, metric, fixed, rows, out, f"heatmap_{metric}{suffix}")


def plot_lines(sweep, out):
    """One-parameter sweep: each metric against the parameter."""
    p = sweep.params[0]
    rows = list(range(len(sweep.table.rows)))
    levels = p.levels(rows)
    x_all = np.array([levels.index(p.raw[i]) if not p.numeric else p.shown(p.raw[i]) for i in rows], dtype=float)
    for metric in SWEEP_METRICS:
        if not sweep.table.has(metric):
            continue
        y = sweep.metric(metric)
        if not np.isfinite(y).any():
            print(f"note: {metric} is blank at every point; line_{metric}.png skipped")
            continue
        line_plot(sweep, p, levels, x_all, y, metric, out)


def line_plot(sweep, p, levels, x_all, y, metric, out):
    order = np.argsort(x_all, kind="stable")
    keep = order[np.isfinite(y[order])]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(x_all[keep], y[keep], "o-", color="C0", label=metric)
    marks = {"pass": sweep.passed, "breakdown": sweep.breakdown & np.isfinite(y)}
    if marks["pass"].any():
        ax.plot(x_all[marks["pass"]], y[marks["pass"]], "o", color="green", ms=10, mfc="none", mew=2,
                label="passes targets")
    if marks["breakdown"].any():
        ax.plot(x_all[marks["breakdown"]], y[marks["breakdown"]], "s", color="red", ms=11, mfc="none",
                label="beyond breakdown")
    if sweep.failed.any():
        # Failed points have no value: mark their parameter on the bottom edge.
        ax.plot(x_all[sweep.failed], np.zeros(sweep.failed.sum()), "x", color="black", ms=10, mew=2,
                transform=ax.get_xaxis_transform(), clip_on=False, label="run failed")
    if use_log(metric, y):
        ax.set_yscale("log")
    if not p.numeric:
        ax.set_xticks(range(len(levels)), [str(v) for v in levels])
    ax.set_xlabel(p.label)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    out.save(fig, f"line_{metric}", {
        "source": sweep.table.path, "columns": [p.path, metric, "status", "pass"],
        "x_parameter": p.path, "x_scale": p.scale, "x": x_all[keep], "y": y[keep],
        "points": [int(i) for i in keep], "pass": sweep.passed, "failed": sweep.failed,
        "breakdown": marks["breakdown"], "y_scale": "log" if use_log(metric, y) else "linear"})


def plot_ln_current(sweep, out):
    """ln(peak ionic current) against the mean field V/d, one series per
    thickness d, with a straight-line fit over all points (the slope of a
    field-activated hopping law, in m/V)."""
    pd, pv = sweep.find("Thickness"), sweep.find("Amplitude")
    if pd is None or pv is None or not (pd.numeric and pv.numeric):
        print("note: ln_current_vs_field.png skipped: it needs numeric swept '.../Thickness' and "
              "'.../Amplitude' parameters")
        return
    current = sweep.metric("peak_ionic_current_A")
    d, v = np.array(pd.raw), np.array(pv.raw)
    usable = np.isfinite(current) & (current > 0) & (d > 0)
    if usable.sum() < 1:
        print("note: ln_current_vs_field.png skipped: no point with a positive peak ionic current")
        return
    field = np.where(usable, v / np.where(d > 0, d, 1.0), np.nan)
    ln_i = np.where(usable, np.log(np.where(usable, current, 1.0)), np.nan)
    fig, ax = plt.subplots(figsize=(7, 5))
    series = {}
    for thickness in sorted(set(d[usable])):
        sel = usable & (d == thickness)
        sel_idx = np.nonzero(sel)[0][np.argsort(field[sel])]
        label = f"d = {pd.tick(thickness)} {pd.unit}".strip()
        ax.plot(field[sel_idx], ln_i[sel_idx], "o:", label=label)
        series[label] = {"thickness_m": thickness, "x": field[sel_idx], "y": ln_i[sel_idx],
                         "amplitude_V": v[sel_idx], "peak_ionic_current_A": current[sel_idx],
                         "points": sel_idx}
    fit = straight_line_fit(field[usable], ln_i[usable])
    if fit:
        ax.plot(fit["x"], fit["y"], "k--", label=f"fit: slope = {fit['slope_m_per_V']:.4g} m/V")
    ax.set_xlabel("V/d [V/m]")
    ax.set_ylabel("ln(peak ionic current [A])")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    out.save(fig, "ln_current_vs_field", {
        "source": sweep.table.path, "columns": [pd.path, pv.path, "peak_ionic_current_A", "status"],
        "x_label": "V/d [V/m]", "y_label": "ln(peak_ionic_current_A)",
        "x": field[usable], "y": ln_i[usable], "series": series, "fit": fit})


def straight_line_fit(x, y):
    """Least-squares line through all points; None when x does not vary."""
    if x.size < 2 or np.ptp(x) == 0:
        print("note: ln_current_vs_field: fewer than two distinct fields, no fit drawn")
        return None
    slope, intercept = np.polyfit(x, y, 1)
    ends = np.array([x.min(), x.max()])
    return {"slope_m_per_V": float(slope), "intercept": float(intercept), "x": ends,
            "y": slope * ends + intercept}


def plot_sweep(folder, out):
    sweep = Sweep(folder)
    if not sweep.params:
        raise SystemExit(f"error: {sweep.table.path} names no swept parameter")
    if not sweep.table.rows:
        raise SystemExit(f"error: {sweep.table.path} has no points")
    print(f"sweep folder {folder}: {len(sweep.table.rows)} points over "
          + ", ".join(p.path for p in sweep.params))
    if len(sweep.params) == 1:
        plot_lines(sweep, out)
    else:
        plot_heatmaps(sweep, out)
    plot_ln_current(sweep, out)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def nested_candidates(folder):
    """Sub-folders that are runs or sweeps, to suggest when FOLDER is neither."""
    found = []
    for sub in sorted(glob.glob(os.path.join(folder, "*", ""))):
        sub = sub.rstrip(os.sep)
        if os.path.isfile(os.path.join(sub, "sweep.csv")) or find_runs(sub):
            found.append(sub)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description="Plot a protonfem PNP run folder or sweep folder.")
    parser.add_argument("folder", help="run folder (BASE_summary.json) or sweep folder (sweep.csv)")
    parser.add_argument("--out", help="folder for the PNGs (default: FOLDER/plots)")
    args = parser.parse_args(argv)
    folder = args.folder.rstrip(os.sep) or os.sep
    if not os.path.isdir(folder):
        sys.exit(f"error: {folder} is not a folder")
    out = Output(args.out or os.path.join(folder, "plots"))

    if os.path.isfile(os.path.join(folder, "sweep.csv")):
        plot_sweep(folder, out)
    else:
        runs = find_runs(folder)
        if not runs:
            hint = nested_candidates(folder)
            sys.exit(f"error: {folder} holds neither a PNP run (a *_summary.json with "
                     f"\"problem\": \"pnp\") nor a sweep (sweep.csv)"
                     + (f"; folders inside that do: {', '.join(hint)}" if hint else ""))
        for base, summary in runs:
            # Several runs in one folder get their base name in front.
            plot_run(folder, base, summary, out, base + "_" if len(runs) > 1 else "")

    for problem in out.problems:
        print(f"error: {problem}", file=sys.stderr)
    if out.problems:
        sys.exit(1)
    if not out.written:
        sys.exit(f"error: nothing to plot in {folder}")


if __name__ == "__main__":
    main()
