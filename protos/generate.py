"""Generate Python code and typed stubs from protos/ into gen/: the one code generator, never hand-edited."""
from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

PROTOS = Path(__file__).resolve().parent
OUT = PROTOS.parent / "gen"


def include_dirs() -> list[str]:
    # grpc_tools ships google/protobuf/*.proto; googleapis-common-protos ships google/api/*.proto.
    from google.api import annotations_pb2

    well_known = str(resources.files("grpc_tools") / "_proto")
    googleapis = str(Path(annotations_pb2.__file__).resolve().parents[2])
    return [str(PROTOS), well_known, googleapis]


def main() -> int:
    OUT.mkdir(exist_ok=True)
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    # The mypy-protobuf plugins sit beside this interpreter (the venv's bin/), which may not be on PATH.
    bin_dir = Path(sys.executable).parent
    plugins = [f"--plugin=protoc-gen-{name}={bin_dir / f'protoc-gen-{name}'}" for name in ("mypy", "mypy_grpc")]
    args = ["protoc", *plugins, *(f"-I{d}" for d in include_dirs()),
            f"--python_out={OUT}", f"--grpc_python_out={OUT}",
            f"--mypy_out={OUT}", f"--mypy_grpc_out={OUT}", *sources]
    code = protoc.main(args)
    if code:
        print(f"protoc failed with exit code {code}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
