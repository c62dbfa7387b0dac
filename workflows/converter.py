"""Temporal's JSON payload converter, taught calendar dates.

The default converter encodes and decodes `datetime` but not `date`: it cannot encode a
dataclass holding one, and it cannot turn an ISO string back into one. The workflows'
messages (workflows/messages.py) are all about calendar dates, so this converter writes
a `date` as the ISO string `2030-05-02` and reads it back wherever a type hint says
`date`. On the wire nothing changed from when the messages held those strings
themselves, so histories recorded then replay, and this is the one place a date changes
type between the relay, a workflow and its activities.

Every client that starts, signals, queries or runs the workflows must use it
(`DATA_CONVERTER`; `with_dates` gives any client the converter)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from temporalio.client import Client
from temporalio.converter import (
    AdvancedJSONEncoder,
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    JSONTypeConverter,
)


class DateEncoder(AdvancedJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, date) and not isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


class DateDecoder(JSONTypeConverter):
    def to_typed_value(self, hint: type, value: Any) -> Any:
        if hint is not date:
            return JSONTypeConverter.Unhandled
        if isinstance(value, str):
            return date.fromisoformat(value)
        raise TypeError(f"expected an ISO date string, got {type(value).__name__}")


class DatePayloadConverter(CompositePayloadConverter):
    """The default converters, with the JSON one replaced by one that knows dates."""

    def __init__(self) -> None:
        super().__init__(
            *(
                JSONPlainPayloadConverter(
                    encoder=DateEncoder, custom_type_converters=[DateDecoder()]
                )
                if isinstance(each, JSONPlainPayloadConverter)
                else each
                for each in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


DATA_CONVERTER = dataclasses.replace(
    DataConverter.default, payload_converter_class=DatePayloadConverter
)


def with_dates(client: Client) -> Client:
    """The client itself if it already uses DATA_CONVERTER, else one like it that does."""
    if client.data_converter.payload_converter_class is DatePayloadConverter:
        return client
    config = client.config()
    config["data_converter"] = DATA_CONVERTER
    return Client(**config)
