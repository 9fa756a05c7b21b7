"""Recall of code-related web text (SPEC §2): BPE-segmented text, a fastText classifier, domain discovery, rounds.

``segment`` trains and applies the BPE segmenter, ``classifier`` wraps fastText, ``domains`` groups pages by domain
and URL pattern, ``stage`` is the engine's ``recall_score`` row stage and ``loop`` runs the rounds.
"""
