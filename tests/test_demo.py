"""`briefwerk demo`, the README's first command: the whole way from an ERP export to an ordered
dispatch through the Slack app, on the embedded defaults."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, select

from bot.db import make_engine
from bot.demo_run import run_demo
from bot.settings import Settings
from domain.models import ImportRun, LetterState, Organisation, SerialLetter, SourceDocument


def test_the_demo_goes_through_the_front_door(tmp_path: Path) -> None:
    lines: list[str] = []
    settings = Settings(home=tmp_path / "var")
    run_demo(settings, echo=lines.append)
    run_demo(settings, echo=lines.append)  # again: another serial letter, the import updates
    text = "\n".join(lines)
    assert text.count("davon von Slack abgelehnt: 0") == 2
    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        [org] = session.exec(select(Organisation)).all()
        assert org.name == "Hausverwaltung Sonnenschein GmbH" and org.slack_team_id == "T0SONNE"
        runs = session.exec(select(ImportRun)).all()
        assert [run.route for run in runs] == ["slack", "slack"] and runs[1].created["contacts"] == 0
        serials = session.exec(select(SerialLetter)).all()
        assert len(serials) == 2 and all(s.state is LetterState.WITH_PROVIDER for s in serials)
        names = {s.filename for s in session.exec(select(SourceDocument).where(SourceDocument.serial_letter_id == serials[0].id))}
        assert "Hausgeldabrechnung_2025.pdf" in names and "Wirtschaftsplan_WE_01.pdf" in names
    engine.dispose()
    manifests = list((tmp_path / "var" / "outbox").glob("*/manifest.json"))
    assert len(manifests) == 2 and json.loads(manifests[0].read_text())
    mail = next((tmp_path / "var" / "mail").glob("*.eml")).read_text()
    assert "Slack-Workspace" not in mail and "Hausverwaltung Sonnenschein GmbH" in mail
