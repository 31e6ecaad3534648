"""The API benchmark (see bench/README.md). A package so that the test suite can reuse its set-based seeding
(`bench.series`): the benchmark never imports the tests."""
