# A test runner of builtins alone: CASES is { name = { expr; expected; }; };
# the result is the list of the cases whose expr, forced deeply, is not
# expected, each with what it gave, and the number of cases run.
cases:
let
  failures = builtins.filter (x: x != null) (
    map (
      name:
      let
        c = cases.${name};
        got = builtins.deepSeq c.expr c.expr;
      in
      if got == c.expected then null else { inherit name got; inherit (c) expected; }
    ) (builtins.attrNames cases)
  );
in
{
  inherit failures;
  count = builtins.length (builtins.attrNames cases);
}
