# Cases for nix/lib.nix, with builtins alone:
#   nix-instantiate --eval --strict --json nix/tests/lib.nix
let
  l = import ../lib.nix;
  s = l.mkSecret "mcp.context7_api_key";
  t = l.mkSecret "team.gh-token";
  fromToml = builtins.fromTOML ''
    [key]
    _type = "secret"
    path = "from.toml"
  '';
  char = hex: builtins.fromJSON "\"\\u${hex}\"";
in
import ./run.nix {
  pathAndType = {
    expr = { inherit (s) path _type; };
    expected = { path = "mcp.context7_api_key"; _type = "secret"; };
  };
  interpolates = {
    expr = "Bearer ${s}";
    expected = "Bearer {{secrets.mcp.context7_api_key}}";
  };
  toStringGivesPlaceholder = {
    expr = toString t;
    expected = "{{secrets.team.gh-token}}";
  };
  isSecret = {
    expr = map l.isSecret [ s fromToml.key "{{secrets.a}}" { path = "a"; } null [ s ] ];
    expected = [ true true false false false false ];
  };
  secretPathsEverywhere = {
    expr = l.secretPaths {
      a = s;
      b = [ "x ${t} y ${s}" { c = fromToml.key; } ];
      d = "{{ secrets.spaced.out\t}}";
      h = "rendered by hand: {{ secrets.by.hand | shell }}";
      e = 42;
      f = x: x;
      g = null;
    };
    expected = [ "by.hand" "from.toml" "mcp.context7_api_key" "spaced.out" "team.gh-token" ];
  };
  secretPathsNone = {
    expr = l.secretPaths { a = "no {{ .Go }} template {{secret.x}}"; b = [ 1 true ]; };
    expected = [ ];
  };
  containsSecrets = {
    expr = map l.containsSecrets [ s "a${t}" { x.y = [ s ]; } { x = "plain"; } [ ] ];
    expected = [ true true true false false ];
  };

  jsonSecretLeaf = {
    expr = l.toJSON { k = s; };
    expected = "{\n  \"k\": \"{{ secrets.mcp.context7_api_key | json }}\"\n}\n";
  };
  jsonInterpolated = {
    expr = l.toJSON [ "Bearer ${s}" ];
    expected = "[\n  \"Bearer {{ secrets.mcp.context7_api_key | json }}\"\n]\n";
  };
  jsonTableFromToml = {
    expr = l.toJSON fromToml;
    expected = "{\n  \"key\": \"{{ secrets.from.toml | json }}\"\n}\n";
  };
  jsonScalars = {
    expr = l.toJSON { b = [ true false null 0 (-12) 1.5 ]; e = { }; l = [ ]; };
    expected = "{\n  \"b\": [\n    true,\n    false,\n    null,\n    0,\n    -12,\n    1.5\n  ],\n  \"e\": {},\n  \"l\": []\n}\n";
  };
  jsonEscapesText = {
    expr = l.toJSON "q\" b\\ n\n t\t ${char "0001"}";
    expected = "\"q\\\" b\\\\ n\\n t\\t \\u0001\"\n";
  };
  # A backslash right before a placeholder would make the renderer write the
  # placeholder literally: it is written as an escape.
  jsonBackslashBeforePlaceholder = {
    expr = l.toJSON "C:\\${s}\\";
    expected = "\"C:\\u005C{{ secrets.mcp.context7_api_key | json }}\\\\\"\n";
  };
  jsonForeignTagsKept = {
    expr = l.toJSON "{{ .Values.x }} {{secret.y}} {{";
    expected = "\"{{ .Values.x }} {{secret.y}} {{\"\n";
  };
  jsonDerivationLikeIsString = {
    expr = l.toJSON { p = { outPath = "/nix/store/abc-x"; }; q = { __toString = _: "str"; }; };
    expected = "{\n  \"p\": \"/nix/store/abc-x\",\n  \"q\": \"str\"\n}\n";
  };

  yamlSecretAndEscapes = {
    expr = l.toYAML { k = "${s}${char "0085"}${char "2028"}${char "007F"}${char "0080"}${char "FEFF"}"; f = 2.0; g = 1.0e20; };
    expected = "{\n  \"f\": 2.0,\n  \"g\": 1.0e+20,\n  \"k\": \"{{ secrets.mcp.context7_api_key | yaml }}\\u0085\\u2028\\u007F\\u0080\\uFEFF\"\n}\n";
  };
  yamlBackslashBeforePlaceholder = {
    expr = l.toYAML [ "\\${s}" ];
    expected = "[\n  \"\\x5C{{ secrets.mcp.context7_api_key | yaml }}\"\n]\n";
  };

  tomlDocument = {
    expr = l.toTOML {
      key = s;
      n = 1;
      f = 3.0;
      list = [ 1 "two" { three = 3; } [ ] ];
      "needs quotes" = true;
      "" = "empty key";
      table = {
        "a.b" = "x";
        deep.er = "Bearer ${t}";
      };
      empty = { };
    };
    expected = ''
      "" = "empty key"
      f = 3.0
      key = "{{ secrets.mcp.context7_api_key | toml }}"
      list = [1, "two", { three = 3 }, []]
      n = 1
      "needs quotes" = true

      [empty]

      [table]
      "a.b" = "x"

      [table.deep]
      er = "Bearer {{ secrets.team.gh-token | toml }}"
    '';
  };
  tomlOnlyTables = {
    expr = l.toTOML { a.b.c = 1; };
    expected = "[a]\n\n[a.b]\nc = 1\n";
  };
  tomlEscapesDel = {
    expr = l.toTOML { k = "x${char "007F"}\\${s}"; };
    expected = "k = \"x\\u007F\\u005C{{ secrets.mcp.context7_api_key | toml }}\"\n";
  };
  tomlQuotedHeader = {
    expr = l.toTOML { "a b"."c\"d" = { }; };
    expected = "[\"a b\"]\n\n[\"a b\".\"c\\\"d\"]\n";
  };

  secretPathsOfStringLike = {
    expr = l.secretPaths { a = { __toString = _: "Bearer ${t}"; }; b = { outPath = "/nix/store/x-y"; }; };
    expected = [ "team.gh-token" ];
  };
  tomlInfinities = {
    expr = l.toTOML { pos = 1.0e308 * 10.0; neg = -(1.0e308 * 10.0); nan = 1.0e308 * 10.0 - 1.0e308 * 10.0; };
    expected = "nan = nan\nneg = -inf\npos = inf\n";
  };
  configTreeFiles =
    let
      b = l.build { system = "x86_64-linux"; shell = "/bin/sh"; coreutils = "/bin"; };
      tree = b.configTree "t" { a."b.json" = "{}"; token = fromToml.key; "c/d" = s; };
    in
    {
      expr = { inherit (tree) file0 file1 file2 passAsFile; };
      expected = {
        file0 = "{}";
        file1 = "{{secrets.mcp.context7_api_key}}";
        file2 = "{{secrets.from.toml}}";
        passAsFile = [ "file0" "file1" "file2" ];
      };
    };

  placeholderHelper = {
    expr = l.placeholder "a.b" "shell";
    expected = "{{ secrets.a.b | shell }}";
  };
  shellHook = {
    expr = l.shellHook { templates = "/nix/store/abc-it's"; };
    expected = "export RIGUP_TEMPLATES='/nix/store/abc-it'\\''s'\n";
  };
}
