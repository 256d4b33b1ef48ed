"""The stream side: Kafka topics, the faust app and its agents, and the producers that feed it."""
