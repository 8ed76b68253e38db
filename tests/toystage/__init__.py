"""A toy fourth stage, to show what adding a stage takes: this folder, and one line in a declaration.

`wordcount` reads the enriched stream and publishes each article's word count on news.counts. A
deployment runs it by naming the declaration: NEWSFLOW_PIPELINE=tests.toystage:PIPELINE.
"""

from newsflow.pipeline import PIPELINE as NEWSFLOW_PIPELINE
from newsflow.pipeline import StageSpec

PIPELINE = (
    *NEWSFLOW_PIPELINE,
    StageSpec("wordcount", "enriched", "counts", "tests.toystage.handler:WordCountHandler", done="counted"),
)
