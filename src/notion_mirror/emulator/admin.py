"""``/__emulator/*``: test and benchmark controls (token required, never counted or faulted)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from notion_mirror.emulator import bodycheck, ids
from notion_mirror.emulator.clock import iso_z
from notion_mirror.emulator.errors import invalid_url, validation

if TYPE_CHECKING:
    from notion_mirror.emulator.server import Emulator


def _ok(body: dict[str, Any]) -> Response:
    return JSONResponse(body, media_type="application/json; charset=utf-8")


async def _body(request: Request) -> dict[str, Any]:
    body = bodycheck.parse_json(await request.body())
    if body is None:
        return {}
    return bodycheck.obj(body, "body")


def _number(body: dict[str, Any], key: str, *, nullable: bool = False) -> float | None:
    value = body.get(key)
    if value is None and nullable and key in body:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise bodycheck.fail(f"body.{key}", "a non-negative number", value)
    return float(value)


def _clock_view(emu: Emulator) -> dict[str, Any]:
    return {"now": iso_z(emu.clock.now()), "frozen": emu.clock.is_frozen}


async def handle(emu: Emulator, request: Request) -> Response:
    path = request.url.path.removeprefix("/__emulator").rstrip("/")
    method = request.method.upper()
    if (method, path) == ("GET", "/stats"):
        return _ok(emu.stats())
    if (method, path) == ("POST", "/stats/reset"):
        emu.reset_stats()
        return _ok(emu.stats())
    if (method, path) == ("GET", "/fault-stats"):
        return _ok(emu.fault_stats())
    if (method, path) == ("GET", "/faults"):
        return _ok({"spec": emu.faults.spec})
    if (method, path) == ("POST", "/faults"):
        body = await _body(request)
        bodycheck.only_keys(body, ("spec", "seed"))
        spec = bodycheck.string(body.get("spec", ""), "body.spec")
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise bodycheck.fail("body.seed", "an integer", seed)
        try:
            emu.set_faults(spec, seed=seed)
        except ValueError as exc:
            raise validation(str(exc)) from None
        return _ok({"spec": emu.faults.spec})
    if (method, path) == ("GET", "/clock"):
        return _ok(_clock_view(emu))
    if (method, path) == ("POST", "/clock"):
        body = await _body(request)
        bodycheck.only_keys(body, ("advance_seconds", "set", "real", "freeze"))
        if body.get("real"):
            emu.clock.real()
        elif "set" in body:
            text = bodycheck.string(body["set"], "body.set")
            try:
                when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise bodycheck.fail("body.set", "an ISO 8601 datetime", text) from None
            emu.set_clock(when, freeze=bool(body.get("freeze", False)))
        elif "advance_seconds" in body:
            value = body["advance_seconds"]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bodycheck.fail("body.advance_seconds", "a number", value)
            emu.advance_clock(float(value))
        elif "freeze" in body:
            emu.set_clock(emu.clock.now(), freeze=bool(body["freeze"]))
        return _ok(_clock_view(emu))
    if (method, path) == ("POST", "/rate-limit"):
        body = await _body(request)
        bodycheck.only_keys(body, ("rps",))
        emu.limiter.configure(_number(body, "rps", nullable=True))
        return _ok({"rps": emu.limiter.rps})
    if (method, path) == ("POST", "/latency"):
        body = await _body(request)
        bodycheck.only_keys(body, ("ms",))
        emu.latency_ms = _number(body, "ms") or 0.0
        return _ok({"ms": emu.latency_ms})
    if (method, path) == ("POST", "/payload-limit"):
        body = await _body(request)
        bodycheck.only_keys(body, ("bytes",))
        limit = _number(body, "bytes", nullable=True)
        emu.payload_limit = None if limit is None else int(limit)
        return _ok({"bytes": emu.payload_limit})
    if (method, path) == ("POST", "/query-lag"):
        body = await _body(request)
        bodycheck.only_keys(body, ("seconds",))
        emu.workspace.query_lag = _number(body, "seconds") or 0.0
        return _ok({"seconds": emu.workspace.query_lag})
    if (method, path) == ("POST", "/query-blackout"):
        # Queries of the data source answer "no rows" while its pages stay retrievable
        # by id (a sharing change, query lag or backend bug seen from the client).
        body = await _body(request)
        bodycheck.only_keys(body, ("data_source_id", "on"))
        raw = bodycheck.string(body.get("data_source_id"), "body.data_source_id")
        on = bodycheck.boolean(body.get("on", True), "body.on")
        with emu.workspace.lock:
            ds_id = emu.workspace.data_source(raw)["id"]
            dark: set[str] = emu.workspace.__dict__.setdefault("query_blackout", set())
            if on:
                dark.add(ds_id)
            else:
                dark.discard(ds_id)
            return _ok({"data_source_id": ds_id, "on": on, "blacked_out": sorted(dark)})
    parts = path.strip("/").split("/")
    if method == "POST" and len(parts) == 3 and parts[0] == "pages" and parts[2] == "body-flags":
        body = await _body(request)
        bodycheck.only_keys(body, ("truncated", "unknown_block_ids"))
        truncated = bodycheck.boolean(body.get("truncated", False), "body.truncated")
        unknown = bodycheck.array(
            body.get("unknown_block_ids", []), "body.unknown_block_ids", max_len=100
        )
        unknown = [
            ids.parse_id(bodycheck.string(u, "body.unknown_block_ids[]")) or u for u in unknown
        ]
        with emu.workspace.lock:
            page = emu.workspace.page(parts[1])
            page["truncated"] = truncated
            page["unknown_block_ids"] = unknown
            emu.workspace.touched()
        return _ok({"id": page["id"], "truncated": truncated, "unknown_block_ids": unknown})
    raise invalid_url()
