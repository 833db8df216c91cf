"""The learned tagger's room: real labelled data, its split, training the heads, the evaluation
sets and real-text figures.

Unlike transforms/ (pure functions), this room reads files (../shared/labelled, the items grown
from stored public pages, analysts' corrections in the warehouse, the labelled sets in eval/ and
the captured pages of ../shared/realdata) and writes the heads that transforms/ ships in
transforms/data/learned/.
"""
