"""``citycheckup survey …``: the residents' satisfaction survey (社会满意度调查)."""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path
from typing import Any

import typer

from citycheckup.cli._common import console, fail, guarded

__all__ = ["register"]

app = typer.Typer(
    help="Residents' satisfaction survey: questionnaire, sample design, tokens, import, weighting, results.",
    no_args_is_help=True,
)

_LANG = typer.Option("zh", "--lang", help="Language of the output tables: zh or en.")


def _lang(value: str) -> Any:
    if value not in ("zh", "en"):
        fail(f"--lang must be zh or en, got {value!r}")
    return value


def _questionnaire(path: Path | None) -> Any:
    from citycheckup.survey import load_questionnaire

    return guarded(lambda: load_questionnaire(path))


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    from citycheckup._io import write_text_atomic

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    write_text_atomic(
        path, "\ufeff" + buf.getvalue()
    )  # BOM: Excel opens UTF-8 CSV with Chinese correctly


@app.command()
def questionnaire(
    out: Path = typer.Option(
        None, "--out", help="Write the standard questionnaire YAML here, to edit."
    ),
    check: Path = typer.Option(
        None, "--check", help="Check a questionnaire YAML; every problem with file:line."
    ),
    framework: str = typer.Option(
        None,
        "--framework",
        help="Also check indicator links against this framework (e.g. people-city-2025).",
    ),
) -> None:
    """Write the standard questionnaire, or check an edited one."""
    from citycheckup._io import write_text_atomic
    from citycheckup.survey import load_questionnaire

    if out is not None:
        text = (resources.files("citycheckup.survey") / "questionnaire.yaml").read_text(
            encoding="utf-8"
        )
        write_text_atomic(out, text)
        console.print(f"wrote {out}")
    fw = None
    if framework:
        from citycheckup.framework import load_framework

        fw = guarded(lambda: load_framework(framework))
    q = guarded(lambda: load_questionnaire(check, framework=fw))
    counts = {lev.code: sum(1 for x in q.questions if x.level == lev.code) for lev in q.levels}
    console.print(
        f"{q.source}: questionnaire {q.code} {q.version} is valid — {len(q.questions)} questions "
        f"({', '.join(f'{k} {v}' for k, v in counts.items())}), "
        f"{sum(len(lev.aspects) for lev in q.levels)} aspects"
    )


@app.command()
def design(
    areas: Path = typer.Argument(
        ..., help="Area table (CSV/XLSX): area code, name_zh, name_en, population."
    ),
    margin: float = typer.Option(
        0.05, help="Target margin of error of a proportion (0.05 = ±5 points)."
    ),
    confidence: float = typer.Option(0.95, help="Confidence level."),
    deff: float = typer.Option(1.5, help="Design effect (weighting, clustering)."),
    minimum: int = typer.Option(30, help="Minimum respondents per area."),
    response_rate: float = typer.Option(
        None, "--response-rate", help="Expected response rate (0–1) → invitations."
    ),
    n: int = typer.Option(
        None, "--n", help="Fix the sample size instead of deriving it from --margin."
    ),
    out: Path = typer.Option(
        None, "--out", help="Write the design: .xlsx (quotas + parameters) or .csv."
    ),
    lang: str = _LANG,
) -> None:
    """Sample size from a margin of error and quotas by area (proportional, with a minimum)."""
    from citycheckup.survey import read_areas, sample_design

    lg = _lang(lang)
    table = guarded(lambda: read_areas(areas))
    d = guarded(
        lambda: sample_design(
            table,
            margin=margin,
            confidence=confidence,
            deff=deff,
            minimum=minimum,
            response_rate=response_rate,
            n=n,
        )
    )
    for note in d.notes:
        console.print(f"note: {note}")
    lab = d.labelled(lg)
    console.print(
        lab.to_string(index=False, float_format=lambda x: f"{x:,.1f}"),
        markup=False,
        highlight=False,
    )
    console.print(f"n = {d.n}")
    if out is not None:
        if out.suffix.lower() == ".csv":
            _write_csv(
                out,
                [str(c) for c in lab.columns],
                lab.astype(object).where(lab.notna(), "").values.tolist(),
            )
        else:
            d.to_xlsx(out, lg)
        console.print(f"wrote {out}")


@app.command()
def tokens(
    db: Path = typer.Option(..., "--db", help="Survey database (SQLite; created when absent)."),
    survey: str = typer.Option(..., "--survey", help="Survey id (appears in the form's address)."),
    n: int = typer.Option(..., "--n", help="Number of one-time tokens to create."),
    areas: Path = typer.Option(
        None, "--areas", help="Area table: creates the survey when it does not exist yet."
    ),
    questionnaire_file: Path = typer.Option(
        None, "--questionnaire", help="Questionnaire YAML for a new survey."
    ),
    area: str = typer.Option(
        None, "--area", help="Issue the tokens for one area (for quota control)."
    ),
    base_url: str = typer.Option(
        "", "--base-url", help="Public address of the server, e.g. https://survey.example.gov"
    ),
    out: Path = typer.Option(
        ..., "--out", help="CSV of the new tokens and their form links (keep it private)."
    ),
) -> None:
    """Create one-time tokens (and the survey, with --areas); write them with their links."""
    from citycheckup.survey import SurveyDB, read_areas

    def run() -> list[str]:
        with SurveyDB(db) as sdb:
            if survey not in sdb.surveys():
                if areas is None:
                    fail(
                        f"survey {survey!r} does not exist in {db}; give --areas (and --questionnaire) to create it"
                    )
                sdb.create_survey(survey, read_areas(areas), questionnaire=questionnaire_file)
                console.print(f"created survey {survey} in {db}")
            return sdb.create_tokens(survey, n, area=area)

    toks = guarded(run)
    base = base_url.rstrip("/")
    _write_csv(out, ["token", "link"], [[t, f"{base}/survey/{survey}?t={t}"] for t in toks])
    console.print(f"wrote {len(toks)} token(s) to {out}; only their hashes are stored in {db}")


def _responses(path: Path, q_path: Path | None, survey: str | None, duplicates: str) -> Any:
    from citycheckup.survey import SurveyDB, read_responses

    if duplicates not in ("first", "last", "raise"):
        fail(f"--duplicates must be first, last or raise, got {duplicates!r}")
    if path.suffix.lower() in {".sqlite", ".sqlite3", ".db"}:
        if not survey:
            fail(f"{path} is a survey database: give --survey")

        def from_db() -> Any:
            with SurveyDB(path) as sdb:
                q = sdb.questionnaire(str(survey))
            return read_responses(path, q, survey_id=survey, duplicates=duplicates)  # type: ignore[arg-type]

        return guarded(from_db)
    q = _questionnaire(q_path)
    return guarded(lambda: read_responses(path, q, duplicates=duplicates))  # type: ignore[arg-type]


_Q = typer.Option(None, "--questionnaire", help="Questionnaire YAML (default: the standard one).")
_SURVEY = typer.Option(None, "--survey", help="Survey id, when reading the survey database.")
_DUP = typer.Option(
    "first", "--duplicates", help="A respondent token seen twice: keep first, last, or raise."
)


@app.command("import")
def import_(
    responses: Path = typer.Argument(
        ..., help="Responses: CSV/XLSX (Chinese or English headers) or the survey DB."
    ),
    questionnaire_file: Path = _Q,
    survey: str = _SURVEY,
    duplicates: str = _DUP,
    out: Path = typer.Option(
        None, "--out", help="Write the validated responses as CSV (canonical columns)."
    ),
) -> None:
    """Check a response file: every problem listed with row and column; de-duplicate by token."""
    rs = _responses(responses, questionnaire_file, survey, duplicates)
    console.print(
        f"{rs.source}: {rs.n} respondent(s), {len(rs.duplicates)} duplicate row(s) removed, "
        f"{rs.n_blank_rows} blank row(s) skipped"
    )
    if out is not None:
        data = rs.data.drop(columns=["row"])
        _write_csv(
            out, list(data.columns), data.astype(object).where(data.notna(), "").values.tolist()
        )
        console.print(f"wrote {out}")


def _trim(value: str | None) -> tuple[float | None, float | None] | None:
    if not value:
        return None
    try:
        lo, hi = (x.strip() for x in value.split(","))
        return (float(lo) if lo else None, float(hi) if hi else None)
    except ValueError:
        fail(f"--trim takes 'LOWER,UPPER' multiples of the mean weight (e.g. 0.3,3), got {value!r}")
    return None


_MARGINS = typer.Option(
    None, "--margins", help="Population margins CSV/XLSX: variable, category, population."
)
_TRIM = typer.Option(None, "--trim", help="Trim weights to LOWER,UPPER × mean weight, e.g. 0.3,3.")
_RESCALE = typer.Option(
    False, "--rescale-margins", help="Rescale margins whose totals differ to the first one's."
)


@app.command()
def weight(
    responses: Path = typer.Argument(..., help="Responses (CSV/XLSX or the survey DB)."),
    margins: Path = _MARGINS,
    questionnaire_file: Path = _Q,
    survey: str = _SURVEY,
    duplicates: str = _DUP,
    trim: str = _TRIM,
    rescale_margins: bool = _RESCALE,
    out: Path = typer.Option(None, "--out", help="Write respondent,weight as CSV."),
) -> None:
    """Rake the responses to the population margins (age group, sex, area)."""
    from citycheckup.survey import rake, read_margins

    if margins is None:
        fail("give --margins (a table of variable, category, population)")
    rs = _responses(responses, questionnaire_file, survey, duplicates)
    m = guarded(lambda: read_margins(margins))
    rk = guarded(
        lambda: rake(
            rs.data, m, trim=_trim(trim), margin_totals="rescale" if rescale_margins else "raise"
        )
    )
    console.print(
        rk.margins.to_string(index=False, float_format=lambda x: f"{x:,.2f}"),
        markup=False,
        highlight=False,
    )
    console.print(
        f"converged after {rk.iterations} cycle(s); largest relative margin error {rk.max_error:.2e}; "
        f"Kish effective n {rk.n_eff:,.1f} of {rk.n} (design effect {rk.deff:.2f}); "
        f"{rk.n_trimmed} weight(s) at a trim bound"
    )
    if out is not None:
        _write_csv(
            out,
            ["respondent", "weight"],
            [[r, f"{w:.10g}"] for r, w in zip(rs.data["respondent"], rk.weights, strict=True)],
        )
        console.print(f"wrote {out}")


@app.command()
def results(
    responses: Path = typer.Argument(..., help="Responses (CSV/XLSX or the survey DB)."),
    margins: Path = _MARGINS,
    questionnaire_file: Path = _Q,
    survey: str = _SURVEY,
    duplicates: str = _DUP,
    trim: str = _TRIM,
    rescale_margins: bool = _RESCALE,
    invited: int = typer.Option(
        None, "--invited", help="Questionnaires handed out (default for a DB: tokens issued)."
    ),
    threshold: float = typer.Option(
        60.0, help="Low-satisfaction mark: items with an index below it are problems."
    ),
    min_valid: int = typer.Option(
        30, "--min-valid", help="Fewest valid answers for an item to be listed."
    ),
    hotline_rate: float = typer.Option(
        None, "--hotline-rate", help="12345 satisfaction rate of the same period."
    ),
    hotline_scale: str = typer.Option(
        "percent", "--hotline-scale", help="percent (0–100) or share (0–1)."
    ),
    hotline_period: str = typer.Option(
        None, "--hotline-period", help="The period: YYYY, YYYY-MM or YYYY-MM-DD/YYYY-MM-DD."
    ),
    out: Path = typer.Option(
        ..., "--out", help="Output folder: results_zh.xlsx, results_en.xlsx, problems.csv."
    ),
    lang: str = _LANG,
) -> None:
    """Weighted indices with 95 % CIs, low-satisfaction items as problems, 12345 comparison."""
    from citycheckup._io import atomic_dir
    from citycheckup.survey import SurveyDB, read_margins, survey_results

    lg = _lang(lang)
    if hotline_scale not in ("percent", "share"):
        fail(f"--hotline-scale must be percent or share, got {hotline_scale!r}")
    rs = _responses(responses, questionnaire_file, survey, duplicates)
    if invited is None and survey and responses.suffix.lower() in {".sqlite", ".sqlite3", ".db"}:
        with SurveyDB(responses) as sdb:
            invited = sdb.token_counts(survey)["issued"] or None
    m = guarded(lambda: read_margins(margins)) if margins is not None else None
    res = guarded(
        lambda: survey_results(
            rs,
            margins=m,
            invited=invited,
            trim=_trim(trim),
            margin_totals="rescale" if rescale_margins else "raise",
            threshold=threshold,
            min_valid=min_valid,
            hotline_rate=hotline_rate,
            hotline_scale=hotline_scale if hotline_rate is not None else None,  # type: ignore[arg-type]
            hotline_period=hotline_period,
        )
    )
    with atomic_dir(out) as tmp:
        res.to_xlsx(tmp / "results_zh.xlsx", "zh")
        res.to_xlsx(tmp / "results_en.xlsx", "en")
        p = res.problems(lg)
        _write_csv(
            tmp / "problems.csv",
            list(p.columns),
            p.astype(object).where(p.notna(), "").values.tolist(),
        )
    o = res.overall
    console.print(
        f"{rs.n} respondent(s); overall index {o['index']:.1f} (95 % CI {o['ci_low']:.1f}–{o['ci_high']:.1f}); "
        f"{len(res.low)} item(s) below {threshold:g}"
        + ("" if m is not None else " — UNWEIGHTED (no --margins)")
    )
    aspects = list(res.tables(lg).values())[1]
    console.print(aspects.to_string(index=False), markup=False, highlight=False)
    if res.hotline is not None:
        h = res.hotline
        console.print(
            f"12345 rate {h.hotline_rate:.1f} % vs survey {h.survey_rate:.1f} % "
            f"(95 % CI {h.survey_ci[0]:.1f}–{h.survey_ci[1]:.1f}); difference {h.difference:+.1f} points"
        )
    console.print(f"wrote {out}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="survey")
