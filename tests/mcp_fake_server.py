"""`assistant mcp` over the hash embedder and a scripted model (which writes tables for
results extraction), for the fast layer: the MCP front end (tools, resources, errors,
progress) is what the tests drive, through the SDK's stdio client, in a real subprocess.
Settings come from the ``ASSISTANT_*`` environment.

    python tests/mcp_fake_server.py "scripted answer [1]." [--allow-ingest]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fakes import HashEmbedder, TableLLM  # noqa: E402

from assistant.mcp.server import serve_stdio  # noqa: E402
from assistant.pipeline import Pipeline  # noqa: E402
from assistant.settings import load_settings  # noqa: E402

if __name__ == "__main__":
    pipeline = Pipeline(load_settings(), chat=TableLLM(sys.argv[1], delay=0.01),
                        embedder=HashEmbedder())
    serve_stdio(pipeline, allow_ingest="--allow-ingest" in sys.argv)
