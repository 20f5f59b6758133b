"""Produces records with confluent_kafka's default partitioner (librdkafka's consistent_random).

Usage: produce_default_partitioner.py BOOTSTRAP TOPIC FILE
FILE has one record per line: the key, a space, the value in hex. Prints "key partition" for each
delivered record, in delivery order.
"""

import sys

from confluent_kafka import Producer


def main() -> int:
    bootstrap, topic, path = sys.argv[1:4]
    producer = Producer({"bootstrap.servers": bootstrap})  # no partitioner set: the client's default
    delivered = []

    def report(error, message):
        if error is not None:
            raise SystemExit(f"delivery failed: {error}")
        delivered.append(f"{message.key().decode()} {message.partition()}")

    with open(path, encoding="ascii") as lines:
        for line in lines:
            key, value = line.split()
            producer.produce(topic, key=key.encode(), value=bytes.fromhex(value), on_delivery=report)
    if producer.flush(30) != 0:
        raise SystemExit("records left unsent")
    print("\n".join(delivered))
    return 0


if __name__ == "__main__":
    sys.exit(main())
