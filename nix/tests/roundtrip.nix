# Values with secret references and hostile text, serialized by each
# serializer into files with and without their format's extension. The test
# renders them with rigup-exec and parses them with jq, tomllib and PyYAML.
#   nix-instantiate --eval --strict --json nix/tests/roundtrip.nix
let
  l = import ../lib.nix;
  s = l.mkSecret;
  char = hex: builtins.fromJSON "\"\\u${hex}\"";

  hostile = {
    quote = "a \"quoted\" 'word'";
    backslash = "back\\slash \\n not a newline";
    backslashEnd = "trailing\\";
    breaks = "line\nbreak\r\ncrlf\ttab";
    unicode = "ünï — 日本 🔑";
    controls = "${char "0001"}${char "001F"}${char "007F"}${char "0080"}${char "0085"}${char "009F"}${char "2028"}${char "2029"}${char "FEFF"}";
    yamlish = ": # &anchor *alias !tag - [x] {y} | > % @ `";
    tomlish = "[table] key = 'v' \"\"\" '''";
    foreignTags = "{{ .Go }} {{ secret.x }} {{ {{";
    shellish = "$HOME `id` $(id) ;|&";
  };

  refs = {
    leaf = s "h.quote";
    inList = [ (s "h.backslash") 1 true ];
    bearer = "Bearer ${s "h.breaks"}";
    backslashBefore = "C:\\${s "h.quote"}";
    adjacent = "${s "h.unicode"}${s "h.controls"}";
    deep.er.still = s "h.yamlish";
    hyphen-key = s "team.gh-token";
    afterText = "x=${s "h.tomlish"};y=${s "h.nul"}";
    # rendered once: a value that looks like a placeholder stays as it is
    looksLikePlaceholder = s "h.placeholder";
    number = "n=${s "h.number"}";
  };

  common = {
    plain = hostile;
    secrets = refs;
    numbers = {
      int = 42;
      negative = -7;
      float = 1.5;
      whole = 2.0;
      big = 1.0e20;
      tiny = 2.5e-7;
      yes = true;
      no = false;
    };
    list = [ { a = 1; } [ ] { } "x" [ [ (s "h.quote") ] ] ];
    "key with spaces" = 1;
    "dotted.key" = "v";
    "ünï" = "k";
    "quote\"key" = "q";
    # past YAML's 1024 characters for an implicit key
    ${builtins.concatStringsSep "" (builtins.genList (_: "long\n") 300)} = "long key";
    empty = { };
  };
  withNull = common // { nothing = null; inList = [ null ]; };
in
{
  # What the files should hold once rendered, with each reference as its
  # placeholder text (builtins.toJSON writes a reference so).
  data = {
    json = withNull;
    yaml = withNull;
    toml = common;
  };
  files = {
    "json/config.json" = l.toJSON withNull;
    "json/config" = l.toJSON withNull;
    "json/config.txt" = l.toJSON withNull;
    "yaml/config.yaml" = l.toYAML withNull;
    "yaml/config" = l.toYAML withNull;
    "toml/config.toml" = l.toTOML common;
    "toml/config" = l.toTOML common;
  };
}
