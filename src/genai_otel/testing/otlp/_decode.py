"""Turn OTLP export requests (protobuf) into the plain records of :mod:`.records`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .records import (
    Attributes,
    ExponentialHistogramPoint,
    HistogramPoint,
    MetricPoint,
    NumberPoint,
    ReceivedLog,
    ReceivedMetric,
    ReceivedSpan,
    SpanEvent,
    Transport,
)

_EVENT_NAME_ATTRIBUTE = "event.name"


def decode_any_value(value: AnyValue, array_type: type[tuple[Any, ...] | list[Any]] = tuple) -> Any:
    """Decode an AnyValue to Python; arrays become ``array_type`` at every nesting level."""
    field = value.WhichOneof("value")
    if field is None:
        return None
    if field == "array_value":
        return array_type(decode_any_value(item, array_type) for item in value.array_value.values)
    if field == "kvlist_value":
        return decode_attributes(value.kvlist_value.values, array_type)
    return getattr(value, field)


def decode_attributes(
    key_values: Iterable[KeyValue], array_type: type[tuple[Any, ...] | list[Any]] = tuple
) -> Attributes:
    return {kv.key: decode_any_value(kv.value, array_type) for kv in key_values}


def _hex_id_or_none(raw_id: bytes) -> str | None:
    return raw_id.hex() if raw_id.strip(b"\x00") else None


def _enum_name(enum_type: Any, value: int, prefix: str) -> str:
    """``SPAN_KIND_CLIENT`` -> ``CLIENT``; a value this protobuf version does not know is kept as its number."""
    try:
        return str(enum_type.Name(value)).removeprefix(prefix)
    except ValueError:
        return str(value)


def _resource_and_scope(resource: Resource, scope: InstrumentationScope) -> dict[str, Any]:
    return {
        "resource": decode_attributes(resource.attributes),
        "scope_name": scope.name,
        "scope_version": scope.version,
    }


def decode_spans(request: ExportTraceServiceRequest, transport: Transport) -> list[ReceivedSpan]:
    received = []
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            context = _resource_and_scope(resource_spans.resource, scope_spans.scope)
            for span in scope_spans.spans:
                received.append(
                    ReceivedSpan(
                        name=span.name,
                        kind=_enum_name(Span.SpanKind, span.kind, "SPAN_KIND_"),
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=_hex_id_or_none(span.parent_span_id),
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        attributes=decode_attributes(span.attributes),
                        status_code=_enum_name(Status.StatusCode, span.status.code, "STATUS_CODE_"),
                        status_message=span.status.message,
                        events=[SpanEvent(event.name, decode_attributes(event.attributes)) for event in span.events],
                        transport=transport,
                        **context,
                    )
                )
    return received


def _optional(message: Any, field: str) -> Any:
    return getattr(message, field) if message.HasField(field) else None


def _number_value(point: Any) -> int | float:
    value_field = point.WhichOneof("value")  # "as_int" or "as_double"
    return getattr(point, value_field) if value_field else 0


def _number_points(data_points: Iterable[Any]) -> list[MetricPoint]:
    return [
        NumberPoint(
            attributes=decode_attributes(point.attributes),
            value=_number_value(point),
            start_ns=point.start_time_unix_nano,
            time_ns=point.time_unix_nano,
        )
        for point in data_points
    ]


def _histogram_points(data_points: Iterable[Any]) -> list[MetricPoint]:
    return [
        HistogramPoint(
            attributes=decode_attributes(point.attributes),
            count=point.count,
            sum=_optional(point, "sum"),
            bucket_counts=tuple(point.bucket_counts),
            explicit_bounds=tuple(point.explicit_bounds),
            min=_optional(point, "min"),
            max=_optional(point, "max"),
            start_ns=point.start_time_unix_nano,
            time_ns=point.time_unix_nano,
        )
        for point in data_points
    ]


def _exponential_histogram_points(data_points: Iterable[Any]) -> list[MetricPoint]:
    return [
        ExponentialHistogramPoint(
            attributes=decode_attributes(point.attributes),
            count=point.count,
            sum=_optional(point, "sum"),
            scale=point.scale,
            zero_count=point.zero_count,
            positive_offset=point.positive.offset,
            positive_bucket_counts=tuple(point.positive.bucket_counts),
            negative_offset=point.negative.offset,
            negative_bucket_counts=tuple(point.negative.bucket_counts),
            min=_optional(point, "min"),
            max=_optional(point, "max"),
            start_ns=point.start_time_unix_nano,
            time_ns=point.time_unix_nano,
        )
        for point in data_points
    ]


def _temporality(value: int) -> str:
    return _enum_name(AggregationTemporality, value, "AGGREGATION_TEMPORALITY_")


def _metric_shape(metric: Metric) -> dict[str, Any]:
    """The kind, points and sum/histogram-only fields of one metric."""
    data_field = metric.WhichOneof("data")
    if data_field == "sum":
        return {
            "kind": "sum",
            "points": _number_points(metric.sum.data_points),
            "is_monotonic": metric.sum.is_monotonic,
            "temporality": _temporality(metric.sum.aggregation_temporality),
        }
    if data_field == "gauge":
        return {"kind": "gauge", "points": _number_points(metric.gauge.data_points)}
    if data_field == "histogram":
        return {
            "kind": "histogram",
            "points": _histogram_points(metric.histogram.data_points),
            "temporality": _temporality(metric.histogram.aggregation_temporality),
        }
    if data_field == "exponential_histogram":
        return {
            "kind": "exponential_histogram",
            "points": _exponential_histogram_points(metric.exponential_histogram.data_points),
            "temporality": _temporality(metric.exponential_histogram.aggregation_temporality),
        }
    return {"kind": "summary", "points": []}


def decode_metrics(request: ExportMetricsServiceRequest, transport: Transport) -> list[ReceivedMetric]:
    received = []
    for resource_metrics in request.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            context = _resource_and_scope(resource_metrics.resource, scope_metrics.scope)
            for metric in scope_metrics.metrics:
                shape = {"is_monotonic": None, "temporality": None, **_metric_shape(metric)}
                received.append(
                    ReceivedMetric(
                        name=metric.name,
                        unit=metric.unit,
                        description=metric.description,
                        transport=transport,
                        **shape,
                        **context,
                    )
                )
    return received


def decode_logs(request: ExportLogsServiceRequest, transport: Transport) -> list[ReceivedLog]:
    received = []
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            context = _resource_and_scope(resource_logs.resource, scope_logs.scope)
            for record in scope_logs.log_records:
                attributes = decode_attributes(record.attributes)
                received.append(
                    ReceivedLog(
                        event_name=record.event_name or attributes.get(_EVENT_NAME_ATTRIBUTE),
                        body=decode_any_value(record.body, list),
                        attributes=attributes,
                        trace_id=_hex_id_or_none(record.trace_id),
                        span_id=_hex_id_or_none(record.span_id),
                        severity_text=record.severity_text,
                        severity_number=record.severity_number,
                        timestamp_ns=record.time_unix_nano,
                        observed_timestamp_ns=record.observed_time_unix_nano,
                        transport=transport,
                        **context,
                    )
                )
    return received
