"""Reports and ledger listings as CSV or XLSX files, with Chinese column headers (English on
request). A table is a list of columns (key, Chinese header, English header) and rows of dicts.
XLSX is written with XlsxWriter (write-only, no dependencies; see pyproject for the measurement)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

Column = tuple[str, str, str]

CONNECTIVITY_COLUMNS: list[Column] = [
    ("level", "级别", "Level"), ("code", "代码", "Code"), ("name", "名称", "Name"),
    ("device_class", "设备类别", "Device class"), ("inventory", "在册数", "Inventory"),
    ("networked", "联网数", "Networked"), ("online", "在线数", "Online now"),
    ("networked_rate", "联网率", "Networked rate"), ("online_rate", "在线率", "Online rate (time-weighted)"),
]
PANIC_COLUMNS: list[Column] = [
    ("device_id", "设备", "Device"), ("school_id", "学校", "School"), ("region_code", "区划代码", "Region"),
    ("passed", "完好", "Passed"), ("last_test_at", "最近测试", "Last test"),
    ("last_delay_seconds", "到达耗时(秒)", "Delay (s)"), ("reason", "原因", "Reason"),
]
HAZARD_COLUMNS: list[Column] = [
    ("id", "编号", "Id"), ("grade", "等级", "Grade"), ("category", "类别", "Category"),
    ("school_id", "学校", "School"), ("location", "部位", "Location"), ("description", "隐患描述", "Description"),
    ("source", "来源", "Source"), ("responsible", "责任人", "Responsible"), ("deadline", "整改期限", "Deadline"),
    ("state", "状态", "State"), ("supervised", "挂牌督办", "Supervised"), ("overdue", "逾期", "Overdue"),
    ("registered_at", "登记时间", "Registered"), ("closed_at", "销号时间", "Closed"),
    ("last_actor", "最后操作人", "Last actor"),
]
STATISTICS_COLUMNS: list[Column] = [
    ("code", "代码", "Code"), ("name", "名称", "Name"), ("registered", "登记数", "Registered"),
    ("general", "一般隐患", "General"), ("major", "重大隐患", "Major"), ("state_closed", "已销号", "Closed"),
    ("open", "未销号", "Open"), ("overdue", "逾期", "Overdue"), ("on_time_rate", "按期整改率", "On-time rate"),
    ("mean_rectify_days", "平均整改天数", "Mean days to rectify"),
]


def headers(columns: Sequence[Column], english: bool = False) -> list[str]:
    return [english_name if english else chinese for _, chinese, english_name in columns]


def to_csv(columns: Sequence[Column], rows: Iterable[Mapping], english: bool = False) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese headers right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(columns, english))
    for row in rows:
        writer.writerow([row.get(key, "") for key, _, _ in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[Column], rows: Iterable[Mapping], english: bool = False, sheet: str = "report") -> bytes:
    import xlsxwriter
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True})
    worksheet.write_row(0, 0, headers(columns, english), bold)
    for r, row in enumerate(rows, 1):
        worksheet.write_row(r, 0, [row.get(key, "") for key, _, _ in columns])
    workbook.close()
    return out.getvalue()
