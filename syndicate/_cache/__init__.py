"""Caches in `.syndicate/cache/`: what a republish need not do again.

A cache is only ever a hint. A missing, stale, corrupt or foreign one costs time,
never a wrong output: each value is stored with a key made of everything it was
made from (file sizes and times, settings, the state it read, and the code that
made it), and is used only when that key matches again.

The files are pickles. They are read only from the site's own `.syndicate/`
folder, written by syndicate with mode 0600, beside the state store and the
signing key, which anyone able to write there controls already.

Each cache has its module here, and its file named in paths.CacheFiles.
"""
