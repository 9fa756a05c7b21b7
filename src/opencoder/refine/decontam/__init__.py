"""Benchmark decontamination (SPEC §4): find documents that hold benchmark tasks and remove them.

``sources`` reads the benchmark tasks, ``ngrams`` and ``fuzzy`` are the matching methods over arrays, ``detect``
combines them as a recipe switches them, and ``stage`` is the engine's ``decontam`` row stage.
"""
