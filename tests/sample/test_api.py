"""The public face of ``enricher.sample``: a test fails if the exported names drift."""

from __future__ import annotations

import enricher.sample as sample


def test_public_names() -> None:
    assert sorted(sample.__all__) == sorted(
        [
            "BUNDLED_CLIENTS",
            "BUNDLED_COUNT",
            "BUNDLED_DUPLICATE_RATE",
            "BUNDLED_SEED",
            "FIELD_VARIANTS",
            "NAME_VARIANTS",
            "TAX_SCHEMES",
            "SampleRecord",
            "bundled_clients_path",
            "bundled_sample_path",
            "bundled_truth_path",
            "generate",
            "generate_clients",
            "iter_sample",
            "write_clients",
            "write_sample",
        ]
    )
    for name in sample.__all__:
        assert getattr(sample, name) is not None
        assert getattr(getattr(sample, name), "__doc__", None) or name.isupper()


def test_bundled_paths_are_package_data() -> None:
    """The demo data lives inside the package (hatch ships everything under src/enricher in the wheel)."""
    package_dir = sample.bundled_sample_path().parent.parent
    assert (package_dir / "__init__.py").is_file()
    assert sample.bundled_sample_path().name == "sample.jsonl"
    assert sample.bundled_truth_path().parent == sample.bundled_sample_path().parent
    assert sample.bundled_sample_path().is_file() and sample.bundled_truth_path().is_file()
