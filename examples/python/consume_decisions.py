#!/usr/bin/env python3
"""Consume trading-decisions: one line per decision, duplicates dropped on decision_id.

A reference consumer for the order router's side of the contract (docs/consumers/trading-decisions.md):

* reads with isolation.level=read_committed, so under Kafka:Delivery ExactlyOnce it sees only
  committed decisions (under AtLeastOnce the setting changes nothing);
* decodes each value with the writer schema the Schema Registry holds for the record's schema id
  (Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro body);
* drops a record whose decision_id it has already handled for that symbol (at-least-once delivery
  re-sends the same decision after a worker crash), remembering a bounded number of ids per symbol;
* commits offsets itself (enable.auto.commit false), only for records it has handled.

Decoding uses confluent_kafka.schema_registry.avro.AvroDeserializer when fastavro is installed. Debian's
python3-confluent-kafka does not bring fastavro (and Debian has no package for it), so without it the
body is decoded with python3-avro against the same writer schema, fetched by id through the
registry client.

Requires: python3-confluent-kafka (1.7 or later), python3-requests, python3-avro.

Exit codes: 0 stopped by --max, --timeout, Ctrl-C or SIGTERM; 1 a fatal Kafka error, or no
addresses from --api; 2 usage; 3 a record that could not be decoded, or a registry error (that record
is not committed).
"""

import argparse
import collections
import io
import json
import signal
import struct
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import MessageField, SerializationContext

EXIT_OK = 0
EXIT_KAFKA = 1
EXIT_USAGE = 2
EXIT_UNREADABLE = 3

# With --timeout, how long a run waits at least for its first partition assignment.
JOIN_WAIT_SECONDS = 30


class UnreadableRecord(Exception):
    """A record value that is not a decodable TradingDecision."""


# ---------------------------------------------------------------------------------------------
# Decoding


class AvroBodyDecoder:
    """Confluent wire format decoded with python3-avro, with the writer schema of the record's id."""

    name = "python3-avro"

    def __init__(self, registry):
        import avro.io  # python3-avro
        import avro.schema

        self._avro_io = avro.io
        self._parse = avro.schema.parse
        self._registry = registry
        self._readers = {}

    def __call__(self, value, topic):
        schema_id = schema_id_of(value)
        reader = self._readers.get(schema_id)
        if reader is None:
            # One registry request per schema id for the life of the process.
            registered = self._registry.get_schema(schema_id)
            reader = self._avro_io.DatumReader(self._parse(registered.schema_str))
            self._readers[schema_id] = reader
        return reader.read(self._avro_io.BinaryDecoder(io.BytesIO(value[5:])))


class ConfluentDecoder:
    """Confluent's own AvroDeserializer (needs fastavro): the writer schema of each id, no reader schema."""

    name = "AvroDeserializer"

    def __init__(self, registry, deserializer_class):
        self._deserializer = deserializer_class(registry)

    def __call__(self, value, topic):
        schema_id_of(value)
        return self._deserializer(value, SerializationContext(topic, MessageField.VALUE))


def schema_id_of(value):
    if value is None or len(value) < 5 or value[0] != 0:
        raise UnreadableRecord(
            "not the Confluent wire format ({} bytes)".format("no value" if value is None else len(value))
        )
    return struct.unpack(">I", value[1:5])[0]


def make_decoder(registry):
    try:
        from confluent_kafka.schema_registry.avro import AvroDeserializer
    except ImportError:
        # Debian's python3-confluent-kafka: its avro module imports fastavro, which Debian does not ship.
        return AvroBodyDecoder(registry)
    return ConfluentDecoder(registry, AvroDeserializer)


# ---------------------------------------------------------------------------------------------
# De-duplication


class SeenDecisions:
    """The last `per_symbol` decision ids of each of the `max_symbols` symbols seen last, and their latest bars.

    A duplicate from a worker's replay follows the original within about one checkpoint interval of
    input (State:CheckpointInterval, 1 s by default), so a short memory per symbol is enough; the bounds
    keep the memory flat whatever the number of bars or symbols.
    """

    NEW = "new"
    DUPLICATE = "duplicate"
    REDECIDED = "redecided"

    def __init__(self, per_symbol, max_symbols):
        self._per_symbol = per_symbol
        self._max_symbols = max_symbols
        self._symbols = collections.OrderedDict()  # symbol -> [OrderedDict of ids, latest bar_end]

    def add(self, symbol, decision_id, bar_end):
        """NEW, DUPLICATE (the id was handled before), or REDECIDED (a new id for a bar no later than one
        already seen: the bar was decided again by another model set)."""
        entry = self._symbols.get(symbol)
        if entry is None:
            entry = [collections.OrderedDict(), None]
            self._symbols[symbol] = entry
            if len(self._symbols) > self._max_symbols:
                self._symbols.popitem(last=False)
        else:
            self._symbols.move_to_end(symbol)
        ids, latest = entry
        if decision_id in ids:
            return self.DUPLICATE
        ids[decision_id] = None
        if len(ids) > self._per_symbol:
            ids.popitem(last=False)
        if latest is not None and bar_end <= latest:
            return self.REDECIDED
        entry[1] = bar_end
        return self.NEW


# ---------------------------------------------------------------------------------------------
# Output


def iso(value):
    """ISO-8601 UTC, as the worker's own JSON writes times: 2026-01-05T14:31:00Z, 2026-01-05T14:31:00.25Z."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += ".{:06d}".format(value.microsecond).rstrip("0")
    return text + "Z"


def plain(value):
    """The decoded record as JSON values: times as ISO-8601 UTC, enums as their names."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def text_line(decision, message):
    action = decision["action"]
    proposed = decision["proposed_action"]
    risk = decision["risk"]
    parts = [
        iso(decision["bar_end"]),
        decision["symbol"],
        action,
        "qty={}".format(decision["recommended_quantity"]),
        "conf={:.3f}".format(decision["confidence"]),
    ]
    if proposed != action:
        failed = [name for name, status in risk["checks"].items() if status == "FAIL"]
        parts.append("proposed={} risk-failed={}".format(proposed, ",".join(failed) or "?"))
    elif any(status == "WARNING" for status in risk["checks"].values()):
        parts.append("risk-warnings={}".format(len(risk["warnings"])))
    parts.append("model={}/{}".format(decision["selected_model"], decision["model_version"]))
    experiment = decision["experiment"]
    if experiment:
        parts.append("experiment={}:{}:{}".format(experiment["id"], experiment["arm"], experiment["mode"]))
    parts.append("id={}".format(decision["decision_id"]))
    parts.append("at={}/{}@{}".format(message.topic(), message.partition(), message.offset()))
    return " ".join(parts)


def json_line(decision):
    """The decision as one JSON object with the schema's field names, as the worker's `tail --json` and `export`
    write it."""
    return json.dumps(plain(decision), separators=(",", ":"))


def warn(text):
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Offsets


class Offsets:
    """Next offsets to commit, per partition: set only after a record is handled."""

    def __init__(self, consumer):
        self._consumer = consumer
        self._pending = {}
        self._last_commit = time.monotonic()
        self._since_commit = 0

    def handled(self, message):
        self._pending[(message.topic(), message.partition())] = message.offset() + 1
        self._since_commit += 1

    def commit_if_due(self, every_records=100, every_seconds=1.0):
        if self._since_commit >= every_records or (
            self._pending and time.monotonic() - self._last_commit >= every_seconds
        ):
            self.commit()

    def commit(self, partitions=None):
        keys = [k for k in self._pending if partitions is None or k in partitions]
        if not keys:
            return
        offsets = [TopicPartition(topic, partition, self._pending[(topic, partition)]) for topic, partition in keys]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as ex:
            # Kept pending: the next commit tries again. Not committed means re-read after a restart.
            warn("commit failed: {}".format(ex))
            return
        for key in keys:
            del self._pending[key]
        self._last_commit = time.monotonic()
        self._since_commit = 0

    def forget(self, partitions):
        """Partitions revoked: what could not be committed for them is re-read by their next owner."""
        for key in partitions:
            self._pending.pop(key, None)


# ---------------------------------------------------------------------------------------------
# Main


def key_value(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError("expected KEY=VALUE, got {!r}".format(text))
    return key, value


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Consume trading-decisions (Avro, Confluent wire format): one line per decision, "
        "duplicates dropped on decision_id, read_committed, offsets committed after handling.",
        epilog="Without --bootstrap or --registry the addresses come from the embedded worker's "
        "GET /api/v1/embedded (--api). Exit codes: 0 stopped by --max, --timeout, Ctrl-C or SIGTERM; "
        "1 fatal Kafka error or no addresses from --api; 2 usage; 3 a record that could not be decoded or a "
        "registry error.",
    )
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (the worker prints kafka.bootstrap)")
    parser.add_argument("--registry", help="Schema Registry URL (the worker prints schema.registry)")
    parser.add_argument(
        "--api",
        default="http://127.0.0.1:8000",
        help="the embedded worker's API, asked for the addresses --bootstrap and --registry leave out "
        "(default %(default)s)",
    )
    parser.add_argument("--topic", default="trading-decisions", help="default %(default)s")
    parser.add_argument(
        "--group",
        default="decisions-example",
        help="consumer group; its committed offsets say where a later run starts (default %(default)s)",
    )
    parser.add_argument(
        "--from-beginning",
        action="store_true",
        help="read each assigned partition from its first record, whatever the group committed; without "
        "it, resume from the group's committed offsets, or start at the end when it has none",
    )
    parser.add_argument(
        "--max", type=positive_int, metavar="N", help="stop after N decisions (skipped duplicates do not count)"
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        metavar="S",
        help="stop after S seconds without a record, counted from the latest record or partition assignment "
        "(a run that gets no partitions stops after S seconds or 30, whichever is longer)",
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per decision: the schema's field names, ISO-8601 times"
    )
    parser.add_argument(
        "--remember",
        type=positive_int,
        default=64,
        metavar="K",
        help="decision ids remembered per symbol for de-duplication (default %(default)s)",
    )
    parser.add_argument(
        "--max-symbols",
        type=positive_int,
        default=100_000,
        metavar="M",
        help="symbols whose ids are remembered; the least recently seen is forgotten first (default %(default)s)",
    )
    parser.add_argument(
        "-X",
        dest="kafka_config",
        action="append",
        type=key_value,
        default=[],
        metavar="KEY=VALUE",
        help="an extra librdkafka setting, e.g. -X security.protocol=SASL_SSL (repeatable)",
    )
    parser.add_argument(
        "-R",
        dest="registry_config",
        action="append",
        type=key_value,
        default=[],
        metavar="KEY=VALUE",
        help="an extra registry client setting, e.g. -R basic.auth.user.info=user:password (repeatable)",
    )
    return parser.parse_args(argv)


def embedded_addresses(api):
    url = api.rstrip("/") + "/api/v1/embedded"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except urllib.error.HTTPError as ex:
        sys.exit(
            "{} answered {}: not an embedded worker; give --bootstrap and --registry".format(url, ex.code)
        )
    except (urllib.error.URLError, OSError, ValueError) as ex:
        sys.exit("cannot ask {} for the addresses ({}); give --bootstrap and --registry".format(url, ex))
    return body["bootstrap_servers"], body["schema_registry_url"]


def is_mock_cluster(config):
    """True when the cluster is librdkafka's mock cluster (the worker's embedded broker): its cluster id
    starts with 'mockCluster'."""
    probe = Consumer(config)  # not subscribed: it joins no group
    try:
        return (probe.list_topics(timeout=5).cluster_id or "").startswith("mockCluster")
    except KafkaException:
        return False  # not reachable yet: the consumer below reports what happens
    finally:
        probe.close()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    bootstrap, registry_url = args.bootstrap, args.registry
    if not bootstrap or not registry_url:
        embedded_bootstrap, embedded_registry = embedded_addresses(args.api)
        bootstrap = bootstrap or embedded_bootstrap
        registry_url = registry_url or embedded_registry

    registry = SchemaRegistryClient(dict([("url", registry_url)] + args.registry_config))
    decode = make_decoder(registry)

    config = {
        "bootstrap.servers": bootstrap,
        "group.id": args.group,
        # Under Kafka:Delivery ExactlyOnce only committed decisions; aborted ones never reach the router.
        "isolation.level": "read_committed",
        # Offsets are committed below, after each record is handled.
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest" if args.from_beginning else "latest",
    }
    config.update(dict(args.kafka_config))
    try:
        if "session.timeout.ms" not in config and is_mock_cluster(config):
            # The embedded broker (librdkafka's mock cluster) holds every rebalance for the session timeout
            # less a second: with the default 45 s, a run that follows another in the same group would wait
            # that long for its partitions. The worker does the same against it.
            config["session.timeout.ms"] = 4000
            config.setdefault("heartbeat.interval.ms", 1000)
        consumer = Consumer(config)
    except KafkaException as ex:
        warn("cannot create the consumer: {}".format(ex))
        return EXIT_USAGE
    offsets = Offsets(consumer)
    rewound = set()
    # --timeout's clock: it starts when partitions are assigned (joining a group takes seconds) and
    # restarts at every record and every assignment.
    idle_since = []

    def on_assign(c, partitions):
        idle_since[:] = [time.monotonic()]
        if args.from_beginning:
            for tp in partitions:
                # Rewind once per run: a later rebalance resumes from what this run committed.
                if (tp.topic, tp.partition) not in rewound:
                    tp.offset = OFFSET_BEGINNING
                    rewound.add((tp.topic, tp.partition))
        c.assign(partitions)

    def on_revoke(c, partitions):
        # Commit what was handled on partitions that are about to move to another member.
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        offsets.commit(revoked)
        offsets.forget(revoked)

    consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke)

    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda s, f: stopping.append(s))

    seen = SeenDecisions(args.remember, args.max_symbols)
    printed = duplicates = 0
    reported_errors = set()
    started = time.monotonic()
    exit_code = EXIT_OK
    reason = "stopped"
    warn(
        "consuming {} from {} (registry {}, group {}, decoder {})".format(
            args.topic, bootstrap, registry_url, args.group, decode.name
        )
    )
    try:
        while True:
            if stopping:
                reason = "signal"
                break
            if args.max is not None and printed >= args.max:
                reason = "--max"
                break
            if args.timeout is not None:
                now = time.monotonic()
                if idle_since and now - idle_since[0] >= args.timeout:
                    reason = "--timeout"
                    break
                if not idle_since and now - started >= max(args.timeout, JOIN_WAIT_SECONDS):
                    reason = "--timeout (no partitions were assigned)"
                    break

            message = consumer.poll(0.2)
            offsets.commit_if_due()
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.fatal():
                    warn("fatal Kafka error: {}".format(error))
                    exit_code, reason = EXIT_KAFKA, "fatal Kafka error"
                    break
                if error.code() not in reported_errors:
                    # Often transient (a topic not created yet, a broker restarting); reported once per code.
                    reported_errors.add(error.code())
                    warn("Kafka: {}".format(error))
                continue

            idle_since[:] = [time.monotonic()]
            value = message.value()
            try:
                decision = decode(value, message.topic())
                if not isinstance(decision, dict) or not {"decision_id", "symbol", "bar_end"} <= decision.keys():
                    raise UnreadableRecord("not a TradingDecision")
                # Records written with schema version 1 have no experiment field; its default is null.
                decision.setdefault("experiment", None)
            except Exception as ex:  # noqa: BLE001 - any decoding or registry failure stops the run
                warn(
                    "cannot decode {}/{}@{}: {}: {}".format(
                        message.topic(), message.partition(), message.offset(), type(ex).__name__, ex
                    )
                )
                exit_code, reason = EXIT_UNREADABLE, "unreadable record"
                break

            symbol = decision["symbol"]
            outcome = seen.add(symbol, decision["decision_id"], decision["bar_end"])
            if outcome == SeenDecisions.DUPLICATE:
                duplicates += 1
                warn("duplicate {} {} {} skipped".format(iso(decision["bar_end"]), symbol, decision["decision_id"]))
                offsets.handled(message)
                continue
            if outcome == SeenDecisions.REDECIDED:
                # Not a duplicate, yet not a later bar: decided again under another id (another model
                # set, e.g. a reload or promotion between a worker's crash and its replay). Printed.
                warn("note: {} bar {} decided again under a new id".format(symbol, iso(decision["bar_end"])))

            print(json_line(decision) if args.json else text_line(decision, message), flush=True)
            printed += 1
            offsets.handled(message)
    finally:
        offsets.commit()
        consumer.close()
        warn("{}: {} decisions, {} duplicates skipped".format(reason, printed, duplicates))
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
