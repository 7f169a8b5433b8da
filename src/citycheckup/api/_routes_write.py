"""Writing endpoints (bearer token): label and delete runs, upload data, run a check-up."""

import secrets
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, Response, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from citycheckup.api import _queries as Q
from citycheckup.api._errors import WRITE_ERRORS, ApiError
from citycheckup.api._params import RunId
from citycheckup.api._routing import Routes
from citycheckup.api._security import scrub_paths
from citycheckup.api._uploads import UnsafeUpload, UploadLimits, inspect_upload
from citycheckup.errors import CitycheckupError

__all__ = [
    "ENV_TOKEN",
    "UPLOAD_SUFFIXES",
    "RunOptions",
    "RunPatch",
    "RunRequest",
    "write_routes",
    "writer_refusal",
]

ENV_TOKEN = "CITYCHECKUP_API_TOKEN"
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".parquet")


class RunPatch(BaseModel):
    """Fields of a run that can be changed."""

    label: str | None = Field(
        default=None, max_length=200, description="New label (null clears it)."
    )


class RunOptions(BaseModel):
    """Options of a check-up started through the API (see ``citycheckup run``)."""

    normalisation: Literal["minmax", "zscore"] = "minmax"
    aggregation: Literal["arithmetic", "geometric"] = "arithmetic"
    weights: Literal["framework", "equal"] = "framework"
    min_availability: float = Field(default=0.5, ge=0, le=1)
    years: list[Annotated[int, Field(ge=1900, le=2200)]] | None = Field(
        default=None, max_length=100
    )
    invalid: Literal["raise", "missing"] = "missing"
    per_year_normalisation: bool = False


class RunRequest(BaseModel):
    """Start a check-up on an uploaded data file."""

    upload_id: str = Field(
        pattern=r"^[0-9a-f]{32}$", description="Id returned by POST /api/v1/uploads."
    )
    framework: str = Field(
        default="people-city-2025", max_length=100, description="Built-in framework name."
    )
    label: str | None = Field(default=None, max_length=200)
    options: RunOptions = Field(default_factory=RunOptions)


def writer_refusal(
    *, read_only: bool, token: str | None, credentials: str | None
) -> tuple[int, str, str] | None:
    """Why a write is refused — ``(status, code, message)`` — or ``None`` when the bearer
    ``credentials`` match the operator's ``token``."""
    if read_only:
        return (403, "read_only", "the store is open read-only on this server; writing is disabled")
    if token is None:
        return (
            403,
            "writing_disabled",
            "writing is disabled: the operator has configured no API token "
            f"(set {ENV_TOKEN} or use citycheckup serve --token-file)",
        )
    if credentials is None:
        return (
            401,
            "unauthorised",
            "this request changes data and needs 'Authorization: Bearer <token>'",
        )
    if not secrets.compare_digest(credentials.encode(), token.encode()):
        return (401, "unauthorised", "the bearer token is not valid")
    return None


def write_routes(
    r: Routes, *, token: str | None, up_dir: Path, limits: UploadLimits | None = None
) -> None:
    """``PATCH``/``DELETE /runs/{id}``, ``POST /uploads``, ``POST /runs``."""
    st = r.st
    limits = limits or UploadLimits()
    bearer = HTTPBearer(auto_error=False, description="Operator-configured token for writing.")

    def require_writer(
        cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        refused = writer_refusal(
            read_only=st.read_only,
            token=token,
            credentials=None if cred is None else cred.credentials,
        )
        if refused is not None:
            status, code, message = refused
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            raise ApiError(status, code, message, headers=headers)

    writer = [Depends(require_writer)]
    api = r.router

    @api.patch(
        "/runs/{run_id}",
        tags=["runs"],
        summary="Label a run (needs the token)",
        responses=WRITE_ERRORS,
        dependencies=writer,
    )
    async def patch_run(run_id: RunId, patch: RunPatch) -> dict[str, Any]:
        await run_in_threadpool(st.label_run, run_id, patch.label)
        return await run_in_threadpool(
            lambda: {k: v for k, v in r.public_run(run_id).items() if k != "manifest"}
        )

    @api.delete(
        "/runs/{run_id}",
        tags=["runs"],
        summary="Delete a run (needs the token)",
        status_code=204,
        responses=WRITE_ERRORS,
        dependencies=writer,
    )
    async def delete_run(run_id: RunId) -> Response:
        await run_in_threadpool(st.delete_run, run_id)
        return Response(status_code=204)

    @api.post(
        "/uploads",
        tags=["runs"],
        summary="Upload a data file (CSV/XLSX/Parquet; needs the token)",
        status_code=201,
        responses=WRITE_ERRORS,
        dependencies=writer,
    )
    async def upload(file: UploadFile) -> dict[str, Any]:
        name = (file.filename or "")[:200]
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise ApiError(
                422, "unsupported_file", f"upload a {', '.join(UPLOAD_SUFFIXES)} file; got {name!r}"
            )
        upload_id = uuid.uuid4().hex
        up_dir.mkdir(parents=True, exist_ok=True)
        target = up_dir / f"{upload_id}{suffix}"  # server-chosen: nothing from the request
        with open(target, "wb") as fh:
            await run_in_threadpool(shutil.copyfileobj, file.file, fh)
        # error messages name the file as the client did, never the server's path
        names = {str(target): name, str(up_dir): "", target.name: name}

        def check() -> dict[str, Any]:
            from citycheckup.data import read_dataset

            try:
                inspect_upload(target, suffix, limits)
                ds = read_dataset(target)
            except UnsafeUpload as exc:
                target.unlink(missing_ok=True)
                raise ApiError(422, "unsafe_file", f"{name}: {exc}") from None
            except CitycheckupError as exc:
                target.unlink(missing_ok=True)
                problems = [scrub_paths(str(p), names) for p in getattr(exc, "problems", [])]
                headline = getattr(exc, "headline", str(exc))
                raise ApiError(
                    400, type(exc).__name__, scrub_paths(headline, names), problems
                ) from None
            except Exception as exc:
                target.unlink(missing_ok=True)
                raise ApiError(
                    422,
                    "unreadable_file",
                    f"{name}: cannot be read as a data table ({scrub_paths(str(exc), names)[:300]})",
                ) from None
            d = ds.data
            yrs = sorted(int(y) for y in d["year"].dropna().unique()) if "year" in d.columns else []
            return {
                "upload_id": upload_id,
                "filename": name,
                "rows": len(d),
                "units": int(d["unit_code"].nunique()) if "unit_code" in d.columns else None,
                "years": yrs,
                "columns": [str(c) for c in d.columns],
            }

        return await run_in_threadpool(check)

    @api.post(
        "/runs",
        tags=["runs"],
        summary="Run a check-up on an uploaded file and store it (needs the token)",
        status_code=201,
        responses=WRITE_ERRORS,
        dependencies=writer,
    )
    async def start_run(req: Annotated[RunRequest, Body()]) -> dict[str, Any]:
        matches = sorted(up_dir.glob(f"{req.upload_id}.*")) if up_dir.is_dir() else []
        if not matches:
            raise ApiError(
                404,
                "upload_not_found",
                f"no upload {req.upload_id}; upload the file first (POST /api/v1/uploads)",
            )
        if req.framework not in Q.framework_names():
            raise ApiError(
                422,
                "unknown_framework",
                f"unknown framework {req.framework!r}; choose one of: {', '.join(Q.framework_names())}",
            )

        def work() -> dict[str, Any]:
            from citycheckup.checkup import CheckupOptions, run_checkup
            from citycheckup.data import read_dataset
            from citycheckup.framework import load_framework
            from citycheckup.report.checkup_report import write_checkup_outputs

            o = req.options
            opts = CheckupOptions(
                years=o.years,
                normalisation=o.normalisation,
                aggregation=o.aggregation,
                weights=o.weights,
                min_availability=o.min_availability,
                invalid=o.invalid,
                global_normalisation=not o.per_year_normalisation,
            )
            result = run_checkup(read_dataset(matches[0]), load_framework(req.framework), opts)
            tmp = Path(tempfile.mkdtemp(prefix="citycheckup-api-run-"))
            try:
                out = tmp / "run"
                write_checkup_outputs(
                    result,
                    out,
                    extra_manifest={"command": "POST /api/v1/runs", "upload_id": req.upload_id},
                )
                run_id = st.save_run_dir(out, kind="run", label=req.label)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            return {k: v for k, v in r.public_run(run_id).items() if k != "manifest"}

        return await run_in_threadpool(work)
