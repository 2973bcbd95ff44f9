"""Helpers shared by the interop scripts driven by `crates/a2agw/tests/it/interop.rs`.

Every check that fails raises `Failed` with a message and the evidence; `run_main`
prints one JSON line per passed scenario on stdout and, on failure, the message, the
evidence and the traceback on stderr, then exits 1.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
import uuid

from collections.abc import Awaitable, Callable
from typing import Any


class Failed(Exception):
    """A check failed: `message` says what, `evidence` shows what was seen."""

    def __init__(self, message: str, **evidence: Any) -> None:
        super().__init__(message)
        self.message = message
        self.evidence = evidence


def check(condition: bool, message: str, **evidence: Any) -> None:
    """Raises `Failed(message, **evidence)` unless `condition` holds."""
    if not condition:
        raise Failed(message, **evidence)


def new_id() -> str:
    """A fresh message id."""
    return str(uuid.uuid4())


def emit(record: dict[str, Any]) -> None:
    """Prints one result record as a JSON line."""
    print(json.dumps(record, default=str, sort_keys=True), flush=True)


async def expect_error(
    expected: tuple[type[BaseException], ...],
    what: str,
    call: Callable[[], Awaitable[Any]],
) -> BaseException:
    """Awaits `call()`, which must raise one of `expected`; returns the exception."""
    try:
        result = await call()
    except expected as e:
        return e
    except Exception as e:  # noqa: BLE001 - any other error is the evidence
        raise Failed(
            f'{what}: expected {" or ".join(t.__name__ for t in expected)}, '
            f'got {type(e).__module__}.{type(e).__name__}',
            error=repr(e),
        ) from e
    raise Failed(
        f'{what}: expected {" or ".join(t.__name__ for t in expected)}, got a result',
        result=short(result),
    )


def short(value: Any, limit: int = 2000) -> str:
    """A printable, bounded form of `value` (protobuf messages in text form)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + '...'


def run_main(
    scenarios: dict[str, Callable[[], Awaitable[dict[str, Any]]]],
    selected: list[str],
    label: dict[str, Any],
) -> None:
    """Runs the selected scenarios (`all` runs every one) in order and exits."""
    names = list(scenarios) if selected == ['all'] else selected
    unknown = [n for n in names if n not in scenarios]
    if unknown:
        print(
            f'unknown scenario(s) {unknown}; known: {sorted(scenarios)}',
            file=sys.stderr,
        )
        sys.exit(2)

    async def go() -> None:
        for name in names:
            details = await scenarios[name]()
            emit({**label, 'scenario': name, 'ok': True, 'details': details})

    try:
        asyncio.run(go())
    except Failed as f:
        print(f'INTEROP FAILURE {label}: {f.message}', file=sys.stderr)
        for key, value in f.evidence.items():
            print(f'  {key}: {short(value, 4000)}', file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - report anything unexpected
        print(
            f'INTEROP ERROR {label}: {type(e).__module__}.{type(e).__name__}: {e}',
            file=sys.stderr,
        )
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)
