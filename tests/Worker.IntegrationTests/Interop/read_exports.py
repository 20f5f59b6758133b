#!/usr/bin/env python3
"""Reads the files `export` wrote with libraries nobody on this project wrote.

python3-avro's DataFileReader reads the Avro container file (schema from its header); the json
module reads the JSON Lines file. Prints, as JSON, each file's decision ids and the confidence
and feature count of each decision, for the test to compare with what the worker published.
usage: read_exports.py FILE.avro FILE.jsonl
"""
import json
import sys

from avro.datafile import DataFileReader
from avro.io import DatumReader


def summary(records):
    return {r["decision"]["decision_id"]: [r["decision"]["confidence"], len(r["features"]), r["decision"]["action"]] for r in records}


with open(sys.argv[1], "rb") as f:
    reader = DataFileReader(f, DatumReader())
    schema = json.loads(reader.meta["avro.schema"].decode())
    avro_records = list(reader)
    reader.close()

with open(sys.argv[2], encoding="utf-8") as f:
    json_records = [json.loads(line) for line in f if line.strip()]

print(json.dumps({"schema_name": schema["namespace"] + "." + schema["name"], "avro": summary(avro_records), "jsonl": summary(json_records)}))
