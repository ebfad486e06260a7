"""What every scenario section is built from: the base class, the shared field types and
the metadata (unit, source) each field carries.

Mechanism modules (src/scsim/mechanisms/) declare their own sections from these;
scenario/schema.py composes them into the ``Scenario``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0)]
Days = Annotated[int, Field(ge=0)]


def meta(unit: str, source: str) -> dict[str, Any]:
    """A field's ``json_schema_extra``: its unit and the MODEL.md section (or seed) it
    comes from, e.g. ``meta("points per day", "MODEL.md: One day, 4. Score")``."""
    return {"unit": unit, "source": source}


def field_unit(field) -> str:
    """The unit a field declares ('' when none)."""
    extra = field.json_schema_extra
    return extra.get("unit", "") if isinstance(extra, dict) else ""


class Section(BaseModel):
    """Base of every section: unknown keys rejected, NaN and infinities rejected."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


class LogNormal(Section):
    """A positive quantity drawn once per agent: arithmetic mean and log-scale sd."""

    mean: Annotated[float, Field(ge=0.0)] = Field(1.0, description="arithmetic mean")
    sigma: Annotated[float, Field(ge=0.0, le=5.0)] = Field(
        0.5, description="sd of its logarithm (0: everyone equal)")
