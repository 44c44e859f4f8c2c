"""Imports every model module so `Base.metadata` knows every table (migrations, tests)."""

from __future__ import annotations

import importlib

from tracepass.db.base import Base

MODEL_MODULES = (
    "tracepass.workspaces.models",
    "tracepass.core.models",
    "tracepass.catalog.models",
    "tracepass.products.models",
    "tracepass.passports.models",
    "tracepass.public.models",
    "tracepass.media.models",
)


def load_all_models() -> None:
    for module in MODEL_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a real import error inside an existing module
                raise


load_all_models()
metadata = Base.metadata
