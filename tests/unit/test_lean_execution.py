"""The short way for plain leaf fields (``graphql.execution``) answers exactly what
strawberry's own execution answers: values, nulls, refused values and their errors, per field
and per row of a list, views read directly included."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Any, ClassVar, NewType

import pytest
import strawberry
from strawberry.extensions import ParserCache
from strawberry.schema.config import StrawberryConfig

from trustcenter.graphql.execution import LeanExecutionContext
from trustcenter.graphql.nodes import ViewFields, answers, plain


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    name: str
    maybe: str | None
    count: int
    colour: Colour
    missing_required: str
    wrong_type: int

    @strawberry.field
    def computed(self, times: int = 1) -> str:
        return self.name * times


#: a scalar whose coercion answers None for "void" (graphql-core: an error, the value refused)
Mood = NewType("Mood", str)
MOOD = strawberry.scalar(
    name="Mood", serialize=lambda value: None if value == "void" else value.upper()
)


@dataclass
class PetView:
    name: str
    age: int | None
    colour: Any
    shadowed: str = "from the view"
    stamped: str = "from the view"
    best_friend: Any = None
    owner: Any = None
    mood: str = "calm"


class Broken:
    """A view whose every attribute read fails."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"cannot read {name}")


#: the rows whose ``buddy`` resolver ran
BUDDY_CALLS: list[int] = []


@strawberry.type
class Owner:
    name: str


@strawberry.interface
class Animal:
    """Implemented by Pet: strawberry then checks each Pet row's type (``is_type_of``)."""

    name: str = plain()


class Stamped(ViewFields):
    @property
    def stamped(self) -> str:  # defined on a class: read there, as ``getattr`` would
        return "from the class"


@strawberry.type
class Pet(Stamped, Animal):
    view: strawberry.Private[Any]
    buddy_known: strawberry.Private[Any] = None
    kind: ClassVar[str] = "pet"
    name: str = plain()
    age: int | None = plain()
    colour: Colour = plain()
    shadowed: str = plain()
    stamped: str = plain()  # type: ignore[assignment]
    best_friend: Pet | None = plain()
    owner: Owner = plain()
    mood: Mood | None = plain()

    @strawberry.field(metadata=answers("buddy_known"))
    def buddy(self) -> Pet | None:
        BUDDY_CALLS.append(id(self))
        if self.buddy_known is not None:
            return self.buddy_known  # type: ignore[no-any-return]
        return Pet(view=PetView("fetched", 5, Colour.RED, owner=Owner(name="o")))

    @strawberry.field
    def friend(self) -> Pet | None:
        return Pet(view=PetView("friend", 3, Colour.BLUE)) if self.view.age == 1 else None

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return f"later {self.view.name}"


class LoudPet(Pet):
    """Defines on its class what the view also has: the class wins, as with ``getattr``."""

    @property
    def shadowed(self) -> str:  # type: ignore[override]
        return "from the class"


def _pets() -> list[Pet]:
    pets: list[Pet] = []
    for n in range(100):
        colour: Any = Colour.RED if n % 2 else Colour.BLUE
        age: Any = None if n % 7 == 0 else n
        if n == 13:
            age = 2**40  # beyond GraphQL's Int: refused by the scalar
        if n == 17:
            colour = "green"  # not an enum value: refused
        friend: Any = None
        if n % 5 == 0:
            friend = Pet(view=PetView(f"friend {n}", n, Colour.RED))
        if n == 11:
            friend = Thing(
                name="t", maybe=None, count=1, colour=Colour.RED, missing_required="x", wrong_type=2
            )  # not a Pet: its type check fails
        if n == 19:
            friend = RuntimeError("an exception as a value")
        owner: Any = Owner(name=f"owner {n}")
        if n == 37:
            owner = None  # a null where none may be
        if n == 47:
            owner = Owner(name=None)  # type: ignore[arg-type]  # a null inside
        view: Any = PetView(f"pet {n}", age, colour, best_friend=friend, owner=owner)
        if n == 23:
            view = PetView(None, n, colour)  # type: ignore[arg-type]  # a null where none may be
        if n == 29:
            view = Broken()
        if n == 31:
            view = None  # no view at all
        pet = (LoudPet if n == 41 else Pet)(view=view)
        if n % 2 == 0:
            pet.buddy_known = Pet(view=PetView(f"buddy {n}", n, Colour.BLUE, owner=owner))
        if n == 43:
            pet.__dict__["age"] = 99  # an instance's own value comes before its view's
        pets.append(pet)
    return pets


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [
            Thing(
                name="a", maybe=None, count=1, colour=Colour.RED, missing_required="x", wrong_type=2
            ),
            Thing(
                name="b",
                maybe="m",
                count=2**40,  # beyond GraphQL's Int: refused by the scalar
                colour=Colour.BLUE,
                missing_required=None,  # type: ignore[arg-type]  # a null where none may be
                wrong_type="seven",  # type: ignore[arg-type]
            ),
        ]

    @strawberry.field
    def pets(self) -> list[Pet | None]:
        return list(_pets())

    @strawberry.field
    def good_pets(self) -> list[Pet]:
        return [
            Pet(view=PetView(f"pet {n}", n, Colour.RED, owner=Owner(name=f"owner {n}")))
            for n in range(100)
        ]

    @strawberry.field
    def troubled(self, at: int, trouble: str) -> list[Pet | None]:
        """Good pets, but for the one at ``at``: ``trouble`` makes it unusual."""
        friend = Pet(view=PetView("friend", 1, Colour.BLUE))

        def view(**changes: Any) -> PetView:
            values: dict[str, Any] = {
                "name": "p", "age": 1, "colour": Colour.RED, "best_friend": friend,
                "owner": Owner(name="o"),
            }  # fmt: skip
            return PetView(**(values | changes))

        pets: list[Pet | None] = [Pet(view=view(name=f"pet {n}", age=n)) for n in range(100)]
        troubles: dict[str, Any] = {
            "refused": Pet(view=view(age=2**40)),
            "null": Pet(view=view(name=None)),
            "colour": Pet(view=view(colour="green")),
            "broken": Pet(view=Broken()),
            "no view": Pet(view=None),
            "no owner": Pet(view=view(owner=None)),
            "owner null": Pet(view=view(owner=Owner(name=None))),  # type: ignore[arg-type]
            "not a pet": Owner(name="an owner"),
            "none": None,
            "exception": RuntimeError("an exception as an item"),
            "class": LoudPet(view=view()),
            "own": Pet(view=view()),
            "void": Pet(view=view(mood="void")),
            "a view": view(),  # every read answers; not a Pet
            "friend's a view": Pet(view=view(best_friend=PetView("f", 2, Colour.RED))),
        }
        pets[at] = troubles[trouble]
        if trouble == "own":
            pets[at].__dict__["age"] = 99  # type: ignore[union-attr]
        return pets


TROUBLES = [
    "refused", "null", "colour", "broken", "no view", "no owner", "owner null", "not a pet",
    "none", "exception", "class", "own", "void", "a view", "friend's a view",
]  # fmt: skip
#: a selection plain at every level: one loop for the whole list (``graphql.lists``)
PLAIN = "name age colour mood shadowed stamped __typename o: owner { name __typename }"
TROUBLED = f"{PLAIN} bestFriend {{ name }}"

QUERIES = [
    "{ things { name maybe colour } }",
    "{ things { count } }",
    "{ things { missingRequired } }",
    "{ things { wrongType } }",
    "{ things { name computed(times: 2) __typename } }",
    "{ things { ... on Thing { name colour } n2: name } }",
    "query($skip: Boolean!) { things { name @skip(if: $skip) maybe } }",
    # a list of 100 rows: nulls in some, refused values, failing reads, a missing view
    "{ pets { name age colour shadowed stamped } }",
    "{ pets { age } }",
    "{ pets { colour } }",
    "{ pets { a: age b: name c: age __typename } }",
    "{ pets { ...P friend { ...P friend { name } } } } fragment P on Pet { name age }",
    "{ pets { later age name } }",
    "{ pets { ... on Pet { age } later friend { later age } } }",
    "query($skip: Boolean!) { pets { name @include(if: $skip) age @skip(if: $skip) } }",
    "{ goodPets { name age colour later friend { name age } } }",
    "{ goodPets { __typename n: name ... on Pet { colour shadowed } } }",
    # object fields: plain ones and one whose resolver answers an attribute
    "{ pets { name bestFriend { name age } owner { name } } }",
    "{ pets { buddy { name owner { name } friend { name } } } }",
    "{ pets { b: bestFriend { __typename n: name ... on Pet { colour later } } buddy { later } } }",
    "{ pets { buddy { buddy { name } } bestFriend { bestFriend { name } } } }",
    "query($skip: Boolean!) { pets { bestFriend @skip(if: $skip) { name } buddy { age } } }",
    "{ goodPets { owner { name } bestFriend { name } buddy { name age later } } }",
    "{ goodPets { ... on Animal { name } } }",
    # a list plain at every level, in one loop
    f"{{ goodPets {{ {PLAIN} }} }}",
    "{ goodPets { a: age a2: age ...P owner { ... on Owner { name } } } }"
    " fragment P on Pet { name }",
    "query($skip: Boolean!) { goodPets { name owner @skip(if: $skip) { name } } }",
    "query($skip: Boolean!) { goodPets @include(if: $skip) { name } pets { name } }",
    # one unusual item, first, in the middle or last: the whole list the long way
    *(
        f'{{ troubled(at: {at}, trouble: "{trouble}") {{ {TROUBLED} }} }}'
        for trouble in TROUBLES
        for at in (0, 50, 99)
    ),
]


def _answer(schema: strawberry.Schema, query: str) -> dict[str, Any]:
    result = asyncio.run(schema.execute(query, variable_values={"skip": True}))
    return {
        "data": result.data,
        "errors": [(e.message, e.path, e.locations) for e in result.errors or ()],
    }


CONFIG = StrawberryConfig(scalar_map={Mood: MOOD})
LONG_WAY = strawberry.Schema(query=Query, config=CONFIG)
SHORT_WAY = strawberry.Schema(
    query=Query, execution_context_class=LeanExecutionContext, config=CONFIG
)


@pytest.mark.parametrize("query", QUERIES)
def test_the_short_way_answers_as_the_long_way(query: str) -> None:
    assert _answer(SHORT_WAY, query) == _answer(LONG_WAY, query)


def test_refused_values_still_fail_with_their_field_named() -> None:
    answer = _answer(SHORT_WAY, "{ things { count } }")
    assert answer["data"] is None  # a non-null field failed inside a non-null list
    assert answer["errors"][0][1] == ["things", 1, "count"]
    assert "2 ** 40" in answer["errors"][0][0] or "1099511627776" in answer["errors"][0][0]


def test_the_rows_of_a_list_keep_their_values_and_their_errors() -> None:
    answer = _answer(SHORT_WAY, "{ pets { name age shadowed stamped } }")
    rows = answer["data"]["pets"]
    assert len(rows) == 100
    assert rows[1] == {
        "name": "pet 1",
        "age": 1,
        "shadowed": "from the view",
        "stamped": "from the class",
    }
    assert rows[7]["age"] is None  # a null read as null
    assert rows[41]["shadowed"] == "from the class"
    assert rows[43]["age"] == 99
    failed = {tuple(e[1]) for e in answer["errors"]}
    # a refused Int, a null name, a view that fails and a missing one: each its row's error
    assert {("pets", 13, "age"), ("pets", 23, "name"), ("pets", 29, "name")} <= failed
    assert rows[13] is not None and rows[13]["age"] is None
    assert rows[23] is None and rows[29] is None and rows[31] is None


def test_a_resolver_answering_an_attribute_runs_only_where_the_attribute_is_none() -> None:
    BUDDY_CALLS.clear()
    long_way = _answer(LONG_WAY, "{ goodPets { buddy { name } } }")
    assert len(BUDDY_CALLS) == 100
    BUDDY_CALLS.clear()
    pets = {"data": {"goodPets": [{"buddy": {"name": "fetched"}}] * 100}, "errors": []}
    assert _answer(SHORT_WAY, "{ goodPets { buddy { name } } }") == long_way == pets
    assert len(BUDDY_CALLS) == 100  # no row knows its buddy: each asks its resolver
    BUDDY_CALLS.clear()
    _answer(SHORT_WAY, "{ pets { buddy { name } } }")
    assert len(BUDDY_CALLS) == 50  # the other half knew theirs


def test_a_plain_list_is_completed_in_one_loop_and_an_unusual_one_the_long_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    completed: list[int] = []
    by_item = LeanExecutionContext.complete_list_item_value

    def counted(self: Any, *args: Any) -> Any:
        completed.append(1)
        return by_item(self, *args)

    monkeypatch.setattr(LeanExecutionContext, "complete_list_item_value", counted)
    answer = _answer(SHORT_WAY, f"{{ goodPets {{ {PLAIN} }} }}")
    assert answer["errors"] == [] and len(answer["data"]["goodPets"]) == 100
    assert answer["data"]["goodPets"][7] == {
        "name": "pet 7", "age": 7, "colour": "RED", "mood": "CALM", "shadowed": "from the view",
        "stamped": "from the class", "__typename": "Pet",
        "o": {"name": "owner 7", "__typename": "Owner"},
    }  # fmt: skip
    assert completed == []  # no item went through graphql-core's completion
    answer = _answer(SHORT_WAY, f'{{ troubled(at: 50, trouble: "refused") {{ {TROUBLED} }} }}')
    assert len(completed) == 100  # one unusual item: the whole list the long way
    assert [e[1] for e in answer["errors"]] == [["troubled", 50, "age"]]
    assert answer["data"]["troubled"][50]["age"] is None
    assert answer["data"]["troubled"][49]["age"] == 49


#: the short way with each text parsed once (as the app's table of recent texts does): the
#: same document's nodes come back, so a list's program is made once and kept
SHORT_WAY_PARSED_ONCE = strawberry.Schema(
    query=Query,
    execution_context_class=LeanExecutionContext,
    config=CONFIG,
    extensions=[lambda cache=ParserCache(): cache],  # one cache for every execution
)
KEPT = f"query($at: Int!, $t: String!) {{ troubled(at: $at, trouble: $t) {{ {TROUBLED} }} }}"


def _with(schema: strawberry.Schema, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result = asyncio.run(schema.execute(query, variable_values=variables))
    return {
        "data": result.data,
        "errors": [(e.message, e.path, e.locations) for e in result.errors or ()],
    }


def test_a_kept_program_answers_each_execution_as_the_long_way() -> None:
    for trouble in (*TROUBLES, "class", "none", "class"):
        for at in (0, 99):
            variables = {"at": at, "t": trouble}
            assert _with(SHORT_WAY_PARSED_ONCE, KEPT, variables) == _with(LONG_WAY, KEPT, variables)
    skip = "query($s: Boolean!) { goodPets { name age @skip(if: $s) } }"
    for s in (True, False, True):  # a directive: what is collected depends on the variables
        assert _with(SHORT_WAY_PARSED_ONCE, skip, {"s": s}) == _with(LONG_WAY, skip, {"s": s})
