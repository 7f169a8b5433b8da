"""Web API (FastAPI, versioned under ``/api/v1``) and the dashboard served at ``/``.

``create_app(store=..., token=...)`` builds the application; ``citycheckup serve`` runs it
with uvicorn. Reading is open; writing needs the operator's bearer token.
"""

from citycheckup.api._app import ENV_TOKEN, MAX_UPLOAD_BYTES, create_app

__all__ = ["ENV_TOKEN", "MAX_UPLOAD_BYTES", "create_app"]
