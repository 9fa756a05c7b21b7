"""The engine: stage protocols, tasks over input shards, executors, atomic outputs, stats and the manifest."""
