"""``genai-otel prices``: show the price table, look a model up, price a usage, check an override file.

::

    genai-otel prices                                  # the table in use (bundled + GENAI_OTEL_PRICES_FILE)
    genai-otel prices MODEL [--provider P]             # the entry MODEL resolves to, and how
    genai-otel prices MODEL --input N --output N [--cached N] [--cache-write N] [--reasoning N]
                      [--tier flex|priority] [--batch] [--cache-ttl 1h]
    genai-otel prices --check FILE                     # exit 0 if FILE is a usable override

Token counts follow the span attributes: ``--input`` counts every prompt token, cached and cache-write
ones included, and ``--output`` counts every output token, reasoning included (``--reasoning`` says how
many of them were reasoning).

Exit status: 0 on success, 1 for an unknown model or an unusable file, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from genai_otel.genai.pricing import (
    PRICES_FILE_ENV,
    ModelPrice,
    PriceTable,
    Rates,
    check_price_file,
    cost_breakdown,
    load_price_table,
    normalize_service_tier,
)
from genai_otel.genai.types import Usage

__all__ = ["register", "run"]

_USAGE_FLAGS = ("input", "output", "cached", "cache_write", "reasoning")


def register(subparsers: Any) -> None:
    """Add the ``prices`` subcommand (see :mod:`genai_otel.cli`)."""
    parser = subparsers.add_parser(
        "prices",
        help="show the price table, look up a model, price a usage, or check an override file",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
    )
    parser.add_argument("model", nargs="?", metavar="MODEL", help="a model id as a response reports it")
    parser.add_argument("--provider", help="gen_ai.provider.name (openai, anthropic, aws.bedrock, ...)")
    parser.add_argument("--check", metavar="FILE", help="validate a JSON or TOML price override file")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    group = parser.add_argument_group("pricing a usage")
    group.add_argument("--input", type=_count, metavar="N", help="prompt tokens, cached and cache writes included")
    group.add_argument("--output", type=_count, metavar="N", help="output tokens, reasoning included")
    group.add_argument("--cached", type=_count, metavar="N", help="prompt tokens read from the cache")
    group.add_argument("--cache-write", type=_count, metavar="N", help="prompt tokens written to the cache")
    group.add_argument("--reasoning", type=_count, metavar="N", help="how many output tokens were reasoning")
    group.add_argument("--tier", metavar="TIER", help="service tier: flex, priority (or fast), batch, default")
    group.add_argument("--batch", action="store_true", help="a batch request")
    group.add_argument("--cache-ttl", choices=("5m", "1h"), default="5m", help="cache-write TTL (default 5m)")
    parser.set_defaults(handler=run, prices_parser=parser)


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.prices_parser
    pricing = any(getattr(args, flag) is not None for flag in _USAGE_FLAGS) or args.tier or args.batch
    if args.check:
        if args.model or pricing:
            parser.error("--check takes no MODEL or usage options")
        return _check(args.check)
    if pricing and not args.model:
        parser.error("pricing a usage needs a MODEL")
    if pricing and args.json:
        parser.error("--json lists the table or one entry; it does not price a usage")
    table = load_price_table(os.environ.get(PRICES_FILE_ENV) or None)
    if not args.model:
        return _list(table, args.provider, as_json=args.json)
    found = table.resolve(args.provider, args.model)
    if found is None:
        where = f" for provider {args.provider!r}" if args.provider else ""
        print(f"genai-otel: no price for {args.model!r}{where}", file=sys.stderr)
        return 1
    price, how = found
    if args.json:
        print(json.dumps({price.provider: {price.model: _entry(price)}}, indent=2))
    else:
        _show(price, f"{args.model!r} matched by {how}")
    if pricing:
        return _price(parser, args, price)
    return 0


def _check(path: str) -> int:
    problems = check_price_file(path)
    if problems:
        print(f"{path}: {len(problems)} problem{'s' if len(problems) > 1 else ''}", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"{path}: ok")
    return 0


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _writes(rates: Rates) -> str:
    if rates.cache_write_5m is not None or rates.cache_write_1h is not None:
        return f"{_num(rates.cache_write_5m)}/{_num(rates.cache_write_1h)}"
    return _num(rates.cache_write)


def _columns(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def _list(table: PriceTable, provider: str | None, *, as_json: bool) -> int:
    prices = list(table.models(provider))
    if as_json:
        doc: dict[str, Any] = {"version": table.version, "providers": {}}
        for price in prices:
            doc["providers"].setdefault(price.provider, {"models": {}})["models"][price.model] = _entry(price)
        print(json.dumps(doc, indent=2))
        return 0
    rows = [
        ["provider", "model", "input", "cache read", "cache write", "output", "batch", "tiers", "long ctx >", "checked"]
    ]
    for p in prices:
        rows.append(
            [
                p.provider,
                p.model,
                _num(p.rates.input),
                _num(p.rates.cached_input),
                _writes(p.rates),
                _num(p.rates.output),
                f"-{p.batch_discount:.0%}" if p.batch_discount else "-",
                ",".join(p.tiers) or "-",
                f"{p.long_context.threshold_input_tokens:,}" if p.long_context else "-",
                p.checked or "-",
            ]
        )
    origin = f"bundled + {table.override_path}" if table.override_path else "bundled"
    print(f"USD per million tokens ({origin}; cache write = 5m/1h where they differ)")
    print(_columns(rows))
    return 0


def _show(price: ModelPrice, matched: str) -> None:
    print(f"{price.model} ({price.provider}; {matched})")
    rows = [["USD per 1M tokens", "input", "cache read", "cache write", "output"]]

    def add(label: str, rates: Rates) -> None:
        rows.append([label, _num(rates.input), _num(rates.cached_input), _writes(rates), _num(rates.output)])

    add("standard", price.rates)
    threshold = f"{price.long_context.threshold_input_tokens:,}" if price.long_context else ""
    if price.long_context:
        add(f"standard, prompt > {threshold}", price.long_context.rates)
    for name, tier in price.tiers.items():
        add(name, tier.rates)
        if tier.long_context:
            add(f"{name}, prompt > {threshold}", tier.long_context)
    print("  " + _columns(rows).replace("\n", "\n  "))
    if price.batch_discount:
        print(f"  batch: {price.batch_discount:.0%} off")
    if price.aliases:
        print(f"  aliases: {', '.join(price.aliases)}")
    print(f"  source: {price.source or '-'} (checked {price.checked or '-'}, {price.checked_basis or 'basis unknown'})")
    if price.notes:
        print(f"  notes: {price.notes}")


def _price(parser: argparse.ArgumentParser, args: argparse.Namespace, price: ModelPrice) -> int:
    cached, write = args.cached or 0, args.cache_write or 0
    prompt = cached + write if args.input is None else args.input
    if cached + write > prompt:
        parser.error("--cached plus --cache-write cannot exceed --input, which counts them")
    reasoning = args.reasoning or 0
    output = reasoning if args.output is None else args.output
    if reasoning > output:
        parser.error("--reasoning cannot exceed --output, which counts it")
    usage = Usage(
        input_tokens=prompt,
        output_tokens=output,
        cache_read_input_tokens=cached,
        cache_creation_input_tokens=write,
        reasoning_output_tokens=reasoning,
    )
    cost = cost_breakdown(price, usage, service_tier=args.tier, batch=args.batch, cache_write_ttl=args.cache_ttl)
    asked = normalize_service_tier(args.tier)
    if asked not in (None, "batch") and cost.tier != asked and not cost.batch:
        print(f"  note: {price.model} has no {args.tier!r} tier; standard prices used")
    how = [f"tier {cost.tier or 'standard'}"]
    if cost.long_context:
        how.append("long-context rates")
    if cost.batch:
        how.append(f"batch x{cost.multiplier:g}")
    print(f"\ncost ({', '.join(how)}):")
    rows = [
        ["", "tokens", "USD per 1M", "USD"],
        ["uncached input", f"{cost.uncached_input_tokens:,}", _num(cost.input_rate), f"{cost.input_cost:.6f}"],
        ["cache read", f"{cost.cache_read_tokens:,}", _num(cost.cache_read_rate), f"{cost.cache_read_cost:.6f}"],
        [
            f"cache write {args.cache_ttl}",
            f"{cost.cache_write_tokens:,}",
            _num(cost.cache_write_rate),
            f"{cost.cache_write_cost:.6f}",
        ],
        ["output", f"{cost.output_tokens:,}", _num(cost.output_rate), f"{cost.output_cost:.6f}"],
        ["total", "", "", f"{cost.total:.6f}"],
    ]
    print("  " + _columns(rows).replace("\n", "\n  "))
    if reasoning:
        print(f"  ({reasoning:,} reasoning tokens are billed as output and counted in it)")
    return 0


def _rates_dict(rates: Rates) -> dict[str, float]:
    fields = ("input", "cached_input", "cache_write", "cache_write_5m", "cache_write_1h", "output")
    return {name: getattr(rates, name) for name in fields if getattr(rates, name) is not None}


def _entry(price: ModelPrice) -> dict[str, Any]:
    entry: dict[str, Any] = _rates_dict(price.rates)
    if price.batch_discount:
        entry["batch_discount"] = price.batch_discount
    if price.long_context:
        entry["long_context"] = {
            "threshold_input_tokens": price.long_context.threshold_input_tokens,
            **_rates_dict(price.long_context.rates),
        }
    if price.tiers:
        entry["tiers"] = {}
        for name, tier in price.tiers.items():
            entry["tiers"][name] = _rates_dict(tier.rates)
            if tier.long_context:
                entry["tiers"][name]["long_context"] = _rates_dict(tier.long_context)
    for name in ("aliases", "source", "checked", "checked_basis", "notes"):
        value = getattr(price, name)
        if value:
            entry[name] = list(value) if name == "aliases" else value
    return entry
