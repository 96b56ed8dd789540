"""What the page benches record of a request's queries."""

import time


class Recorder:
    """Every query a request runs, with its time: a wrapper for
    `connection.execute_wrapper`, which survives the connection being closed and opened
    again between requests."""

    def __init__(self):
        self.captured_queries = []

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.captured_queries.append({"sql": sql, "time": time.perf_counter() - began})

    def __len__(self):
        return len(self.captured_queries)
