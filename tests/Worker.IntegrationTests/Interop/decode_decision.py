#!/usr/bin/env python3
"""Reads one TradingDecision with clients nobody on this project wrote.

Debian's python3-confluent-kafka consumes the record and its SchemaRegistryClient fetches the
writer schema by the id in the Confluent wire format; python3-avro decodes the body. Prints the
decoded record as JSON (timestamps as epoch milliseconds) for the test to compare.
usage: decode_decision.py BOOTSTRAP REGISTRY_URL TOPIC
"""
import io
import json
import struct
import sys
from datetime import datetime

import avro.io
import avro.schema
from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient


def plain(value):
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    bootstrap, registry_url, topic = sys.argv[1:4]
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "python-interop",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    message = None
    for _ in range(60):
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            break
    consumer.close()
    if message is None or message.error() is not None:
        sys.exit("no record on " + topic)

    payload = message.value()
    magic, schema_id = struct.unpack(">bI", payload[:5])
    if magic != 0:
        sys.exit("not the Confluent wire format")
    registered = SchemaRegistryClient({"url": registry_url}).get_schema(schema_id)
    schema = avro.schema.parse(registered.schema_str)
    reader = avro.io.DatumReader(schema)
    record = reader.read(avro.io.BinaryDecoder(io.BytesIO(payload[5:])))
    print(json.dumps({"key": message.key().decode(), "schema_id": schema_id, "schema_name": schema.fullname, "record": plain(record)}))


if __name__ == "__main__":
    main()
