"""The GraphQL adapter: the only package that imports strawberry."""
