"""The learned tagger's room: real labelled data, its split, training the heads, real-text figures.

Unlike transforms/ (pure functions), this room reads files (../shared/labelled, the items grown
from stored public pages, analysts' corrections in the warehouse) and writes the heads that
transforms/ ships in transforms/data/learned/.
"""
