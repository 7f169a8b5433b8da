"""The demo behind ``make demo`` / ``citycheckup demo``.

:func:`run_demo` runs the three parts:

* :func:`yichang_demo` — the check-up: 宜昌's published 2025 figures run through
  ``mohurd-2025`` (city-level grades by aspect and task, lower levels as counts over their
  registers, the follow-up rate, reports in the MOHURD outline);
* :func:`district_demo` — a district check-up of the embedded OpenStreetMap extract (a part
  of Haidian, Beijing; © OpenStreetMap contributors, ODbL): GB 50180 life circles, park,
  school and market coverage per block with data-quality flags, blocks below standard as
  located problems → 整治建议清单 → 城市更新项目库, maps and MOHURD annexes;
* :func:`panel_demo` — statistical yearbook indicators of 300 cities compared across cities
  (统计年鉴指标横向比较), proxies named as proxies; not a check-up.
"""

from citycheckup.demo._district import DistrictDemo, district_demo
from citycheckup.demo._panel import PANEL_TITLE, PanelDemo, panel_demo, panel_label
from citycheckup.demo._run import DemoRun, DistrictSummary, run_demo
from citycheckup.demo._yichang import YichangDemo, yichang_demo

__all__ = [
    "PANEL_TITLE",
    "DemoRun",
    "DistrictDemo",
    "DistrictSummary",
    "PanelDemo",
    "YichangDemo",
    "district_demo",
    "panel_demo",
    "panel_label",
    "run_demo",
    "yichang_demo",
]
