"""The book's own helpers: figures, tables, the toy GAN, races and asset tasks.

Each module here serves one chapter of the book (its docstring names which), or
the maintainer who makes the shipped assets (``assets``). None is part of
``dcgan_lib``'s API: names and signatures change with the chapters. The library
a reader reuses is ``dcgan_lib`` itself, which never imports this package.
"""
