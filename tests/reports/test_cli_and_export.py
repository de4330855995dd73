"""`campus-hub report` and `campus-hub ledger` as a user runs them (a subprocess against a real
hub over loopback): tables, CSV with Chinese headers, XLSX read back with openpyxl (an
independent reader), English headers on request, and a refused move's message."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import sys

import openpyxl

from tests.kernel.conftest import ALL_TOKEN, running_hub
from tests.ledger.conftest import ledger_settings, png

from .conftest import generated_journal


async def cli(hub, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", *args, "--target", f"127.0.0.1:{hub.grpc_port}", "--token", ALL_TOKEN,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_connectivity_report_as_table_csv_and_xlsx(tmp_path):
    await generated_journal(tmp_path, days=1)
    async with running_hub(ledger_settings(tmp_path)) as hub:
        status, table, _ = await cli(hub, "report", "connectivity", "--level", "county")
        assert status == 0 and "联网率" in table and "盐湖区" in table
        status, text, _ = await cli(hub, "report", "connectivity", "--format", "csv")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0][:5] == ["级别", "代码", "名称", "设备类别", "在册数"]
        assert ["county", "140802", "盐湖区", "all", "3"] == rows[[r[1] for r in rows].index("140802")][:5]
        path = tmp_path / "report.xlsx"
        status, _, _ = await cli(hub, "report", "connectivity", "--format", "xlsx", "-o", str(path), "--english")
        sheet = openpyxl.load_workbook(path).active
        assert [cell.value for cell in sheet[1]][:3] == ["Level", "Code", "Name"]
        assert sheet.max_row == len(rows)
        status, text, _ = await cli(hub, "report", "compliance")
        assert status == 0 and "一键报警完好率" in text


async def test_ledger_register_list_move_and_a_refused_move(tmp_path):
    async with running_hub(ledger_settings(tmp_path)) as hub:
        status, text, err = await cli(hub, "ledger", "register", "--grade", "general", "--category", "fire",
                                      "--school", "sch-a", "--description", "消防通道堵塞")
        assert status == 0, err
        hazard_id = text.split()[0]
        status, text, _ = await cli(hub, "ledger", "list", "--format", "csv")
        assert "消防通道堵塞" in text and "登记" in text
        status, _, err = await cli(hub, "ledger", "move", hazard_id, "--to", "closed")
        assert status == 1 and "FAILED_PRECONDITION" in err and "allowed moves" in err
        status, text, _ = await cli(hub, "ledger", "move", hazard_id, "--to", "rectifying")
        assert status == 0 and "revision 2" in text


async def test_ledger_comment_photo_and_history(tmp_path):
    photo = tmp_path / "finding.png"
    photo.write_bytes(png())
    not_a_photo = tmp_path / "notes.txt"
    not_a_photo.write_text("not an image")
    async with running_hub(ledger_settings(tmp_path)) as hub:
        _, text, _ = await cli(hub, "ledger", "register", "--grade", "general", "--category", "fire",
                               "--school", "sch-a", "--description", "灭火器过期")
        hazard_id = text.split()[0]
        status, text, err = await cli(hub, "ledger", "comment", hazard_id, "已通知后勤")
        assert status == 0 and "revision 2" in text, err
        status, text, err = await cli(hub, "ledger", "photo", hazard_id, str(photo), "--comment", "现场照片")
        assert status == 0 and "revision 3" in text, err
        status, _, err = await cli(hub, "ledger", "photo", hazard_id, str(not_a_photo))
        assert status == 1 and "INVALID_ARGUMENT" in err and "neither a JPEG nor a PNG" in err
        [photo_id] = [ref.split(":")[0] for ref in hub.ledger.get(hazard_id).photos.split(",")]
        fetched = tmp_path / "fetched.png"
        status, text, err = await cli(hub, "ledger", "photo", hazard_id, str(fetched), "--get", photo_id)
        assert status == 0 and fetched.read_bytes() == photo.read_bytes() and "image/png" in text, err
        status, text, err = await cli(hub, "ledger", "history", hazard_id)
        assert status == 0, err
        lines = text.splitlines()
        assert "变更" in lines[0] and "操作人" in lines[0]
        assert [line.split()[3] for line in lines[1:]] == ["registered", "commented", "photo_added"]
        assert "已通知后勤" in lines[2] and "现场照片" in lines[3] and "subscriber:" in lines[3]
        status, text, _ = await cli(hub, "ledger", "history", hazard_id, "--format", "json")
        assert [json.loads(line)["revision"] for line in text.splitlines()] == [1, 2, 3]


async def test_the_compliance_table_gives_a_tests_delay_in_seconds_even_under_one(tmp_path):
    await generated_journal(tmp_path, days=1)  # panic tests take 0.05-2 s to arrive
    async with running_hub(ledger_settings(tmp_path)) as hub:
        status, text, _ = await cli(hub, "report", "compliance", "--format", "json")
        [row] = [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"pb-1"' in line]
        delay = row["last_delay_seconds"]
        status, table, _ = await cli(hub, "report", "compliance")
        [line] = [line for line in table.splitlines() if line.startswith("pb-1")]
        assert status == 0 and f"{delay:.1f}" in line.split() and "%" not in line
