# rigup-exec's Nix library, with builtins alone: `import ./lib.nix` is an
# attribute set, usable without nixpkgs.
#
# A *secret reference* names a value in the project's rigup.secrets.toml.age
# by its dotted key path. It is never the value: Nix only ever sees the path,
# and the serializers below turn each reference into a placeholder that
# rigup-exec fills in at run time, in its private directory in RAM.
#
#   mkSecret "mcp.context7_api_key"
#     => { _type = "secret"; path = "mcp.context7_api_key"; __toString = ...; }
#   "Bearer ${mkSecret "mcp.token"}"
#     => "Bearer {{secrets.mcp.token}}"
#   toJSON { headers.Authorization = "Bearer ${mkSecret "mcp.token"}"; }
#     => {"headers": {"Authorization": "Bearer {{ secrets.mcp.token | json }}"}}
#
# Every placeholder a serializer writes carries an explicit filter and stands
# inside a double-quoted string of its format, so the rendered file is right
# whatever its name. Inside strings, any {{secrets.PATH}} is a reference: text
# that must not be one cannot be written through these serializers.
let
  inherit (builtins)
    all
    attrNames
    concatMap
    concatStringsSep
    elemAt
    filter
    genList
    head
    isAttrs
    isBool
    isFloat
    isFunction
    isInt
    isList
    isPath
    isString
    length
    listToAttrs
    map
    match
    replaceStrings
    split
    stringLength
    substring
    tail
    throw
    toJSON
    typeOf
    ;

  bareKey = "[A-Za-z0-9_-]+";
  pathPattern = "${bareKey}([.]${bareKey})*";

  # What rigup-exec's renderer takes for the start of a placeholder: "{{",
  # blanks, "secrets.". A string holding this anywhere but in a placeholder
  # of the plain form would render wrongly, so it is refused.
  placeholderStart = "[{][{][ \t]*secrets[.]";
  # The form a string may hold: {{secrets.PATH}}, blanks allowed, and for
  # secretPaths also with a filter, {{ secrets.PATH | FILTER }}.
  placeholderPattern = "[{][{][ \t]*secrets[.](${pathPattern})[ \t]*([|][ \t]*([a-z0-9]+)[ \t]*)?[}][}]";

  isValidPath = p: isString p && match pathPattern p != null;

  # Shown in messages: a path as Nix would write it, anything else by type.
  describe = v: if isString v then toJSON v else "a ${typeOf v}";

  showLoc = loc: if loc == [ ] then "the top level" else "`${concatStringsSep "." loc}'";

  fail = fn: msg: throw "rigup-exec ${fn}: ${msg}";

  mkSecret =
    path:
    if isValidPath path then
      {
        _type = "secret";
        inherit path;
        __toString = self: "{{secrets.${self.path}}}";
      }
    else
      fail "mkSecret" "${describe path} is not a secret path: use dotted bare TOML keys (letters, digits, _ and -), as in \"mcp.context7_api_key\"";

  isSecret = v: isAttrs v && (v._type or null) == "secret";

  # The path of a secret reference, checked: a table written in rigup.toml
  # may hold anything.
  secretPath =
    fn: loc: v:
    if isValidPath (v.path or null) then
      v.path
    else
      fail fn "the secret reference at ${showLoc loc} has ${
        if v ? path then "the path ${describe v.path}, which is not" else "no path, and needs"
      } a dotted key path such as \"mcp.context7_api_key\"";

  # A string cut into its literal parts and its placeholders:
  # [ { text } { path } { text } ... ]. Serializers choose the filter
  # themselves, so for them a placeholder that has one is an error.
  pieces =
    fn: loc: s:
    let
      parts = split placeholderPattern s;
      unknown = "holds a placeholder that is not of the form {{secrets.PATH}} (quoted keys cannot be used here: write the reference with mkSecret)";
      piece =
        p:
        if isList p then
          if elemAt p 2 != null && fn != "secretPaths" then
            fail fn "the string at ${showLoc loc} holds a placeholder with the filter `${elemAt p 3}': ${fn} chooses the filter itself, so interpolate the reference from mkSecret"
          else
            { path = head p; }
        else if length (split placeholderStart p) > 1 then
          fail fn "the string at ${showLoc loc} ${unknown}"
        else
          { text = p; };
    in
    filter (p: p ? path || p.text != "") (map piece parts);

  unique = xs: attrNames (listToAttrs (map (x: {
    name = x;
    value = null;
  }) xs));

  isStringLike = v: isAttrs v && (v ? outPath || v ? __toString);

  # Every secret path a value refers to, sorted, each once.
  secretPaths =
    let
      go =
        loc: v:
        if isSecret v then
          [ (secretPath "secretPaths" loc v) ]
        else if isString v then
          concatMap (p: if p ? path then [ p.path ] else [ ]) (pieces "secretPaths" loc v)
        else if isList v then
          concatMap (go loc) v
        else if isStringLike v then
          go loc "${v}"
        else if isAttrs v then
          concatMap (n: go (loc ++ [ n ]) n ++ go (loc ++ [ n ]) v.${n}) (attrNames v)
        else
          [ ];
    in
    v: unique (go [ ] v);

  containsSecrets = v: secretPaths v != [ ];

  # Characters given by code point, which Nix string literals cannot write.
  char = hex: builtins.fromJSON "\"\\u${hex}\"";
  hexDigits = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "A" "B" "C" "D" "E" "F" ];
  hex2 = n: elemAt hexDigits (n / 16) + elemAt hexDigits (n - n / 16 * 16);

  # Each format's escaping of a string's inside, built on builtins.toJSON,
  # which escapes the quote, the backslash and the C0 controls.
  jsonInside = s: let j = toJSON s; in substring 1 (stringLength j - 2) j;
  tomlExtra = {
    # TOML forbids DEL in basic strings.
    from = [ (char "007F") ];
    to = [ "\\u007F" ];
  };
  yamlExtra =
    let
      # Outside YAML's printable set (DEL, the C1 controls), or a line
      # break to YAML 1.1 (NEL, U+2028, U+2029), or the byte order mark.
      codes = [ "007F" ] ++ genList (i: "00${hex2 (128 + i)}") 32 ++ [ "2028" "2029" "FEFF" "FFFE" "FFFF" ];
    in
    {
      from = map char codes;
      to = map (c: "\\u${c}") codes;
    };
  formats = {
    json = {
      inside = jsonInside;
      backslash = "\\u005C";
    };
    toml = {
      inside = s: replaceStrings tomlExtra.from tomlExtra.to (jsonInside s);
      backslash = "\\u005C";
    };
    yaml = {
      inside = s: replaceStrings yamlExtra.from yamlExtra.to (jsonInside s);
      backslash = "\\x5C";
    };
  };

  # A double-quoted string of the format, its placeholders with the
  # format's filter. A backslash right before a placeholder would tell the
  # renderer to write the placeholder literally, so it is written as an
  # escape that does not end in a backslash.
  quoted =
    fn: fmt: loc: s:
    let
      f = formats.${fmt};
      ps = pieces fn loc s;
      n = length ps;
      text =
        i: t:
        let
          len = stringLength t;
          beforePlaceholder = i + 1 < n && (elemAt ps (i + 1)) ? path;
        in
        if beforePlaceholder && substring (len - 1) 1 t == "\\" then
          f.inside (substring 0 (len - 1) t) + f.backslash
        else
          f.inside t;
      render = i: p: if p ? path then placeholder p.path fmt else text i p.text;
    in
    "\"" + concatStringsSep "" (genList (i: render i (elemAt ps i)) n) + "\"";

  placeholder = path: filterName: "{{ secrets.${path} | ${filterName} }}";

  # An attribute name as a string of the format: it may not be a reference.
  key =
    fn: fmt: loc: name:
    if length (split placeholderStart name) > 1 then
      fail fn "the attribute name ${toJSON name} at ${showLoc loc} holds a secret placeholder: a secret can only be a value"
    else
      "\"" + formats.${fmt}.inside name + "\"";

  # Floats as TOML and YAML 1.1 read them: with a decimal point.
  float =
    x:
    let
      s = toJSON x;
      m = match "(-?[0-9]+)(e.*)?" s;
    in
    if m == null then s else head m + ".0" + (if elemAt m 1 == null then "" else elemAt m 1);

  # A scalar, or null when v is a collection.
  scalar =
    fn: fmt: loc: v:
    if isSecret v then
      "\"" + placeholder (secretPath fn loc v) fmt + "\""
    else if isString v then
      quoted fn fmt loc v
    else if isPath v || isStringLike v then
      quoted fn fmt loc "${v}"
    else if isBool v then
      (if v then "true" else "false")
    else if isInt v then
      toString v
    else if isFloat v then
      (
        if v != v || v * 2 == v && v != 0.0 then
          (
            if fmt == "toml" then
              (if v != v then "nan" else if v > 0 then "inf" else "-inf")
            else
              fail fn "${if v != v then "NaN" else "an infinite float"} at ${showLoc loc} has no ${fmt} form"
          )
        else if fmt == "json" then
          toJSON v
        else
          float v
      )
    else if v == null then
      (if fmt == "toml" then fail fn "TOML has no null, found at ${showLoc loc}: leave the attribute out" else "null")
    else if isFunction v then
      fail fn "a function at ${showLoc loc} cannot be serialized"
    else
      null;

  # JSON text, pretty-printed; YAML as JSON text with YAML's escaping.
  jsonLike =
    fn: fmt:
    let
      go =
        indent: loc: v:
        let
          s = scalar fn fmt loc v;
          inner = indent + "  ";
          block = open: close: items:
            if items == [ ] then open + close else open + "\n" + concatStringsSep ",\n" items + "\n" + indent + close;
        in
        if s != null then
          s
        else if isList v then
          block "[" "]" (genList (i: inner + go inner (loc ++ [ (toString i) ]) (elemAt v i)) (length v))
        else
          block "{" "}" (map (n: inner + mappingKey (key fn fmt loc n) + ": " + go inner (loc ++ [ n ]) v.${n}) (attrNames v));
      # YAML allows an implicit key of up to 1024 characters; a longer one
      # is written as an explicit key, "? KEY".
      mappingKey = k: if fmt == "yaml" && stringLength k > 1000 then "? " + k else k;
    in
    v: go "" [ ] v + "\n";

  isTable = v: isAttrs v && !isSecret v && !isStringLike v;

  tomlKey =
    loc: name: if match bareKey name != null then name else key "toTOML" "toml" loc name;

  # TOML: values inline (arrays, inline tables), tables as [headers].
  toTOML =
    v:
    let
      inline =
        loc: v:
        let
          s = scalar "toTOML" "toml" loc v;
        in
        if s != null then
          s
        else if isList v then
          "[" + concatStringsSep ", " (genList (i: inline (loc ++ [ (toString i) ]) (elemAt v i)) (length v)) + "]"
        else
          (if v == { } then "{}" else "{ " + concatStringsSep ", " (map (n: "${tomlKey loc n} = ${inline (loc ++ [ n ]) v.${n}}") (attrNames v)) + " }");
      table =
        loc: t:
        let
          names = attrNames t;
          tables = filter (n: isTable t.${n}) names;
          values = filter (n: !isTable t.${n}) names;
          header = "[" + concatStringsSep "." (genList (i: tomlKey (genList (j: elemAt loc j) i) (elemAt loc i)) (length loc)) + "]\n";
        in
        (if loc == [ ] then "" else header)
        + concatStringsSep "" (map (n: "${tomlKey loc n} = ${inline (loc ++ [ n ]) t.${n}}\n") values)
        + concatStringsSep "" (map (n: (if loc == [ ] && values == [ ] && n == head tables then "" else "\n") + table (loc ++ [ n ]) t.${n}) tables);
    in
    if isTable v then
      table [ ] v
    else
      fail "toTOML" "a TOML document is an attribute set, not ${if isSecret v then "a secret" else describe v}";

  # Derivations made with builtins.derivation alone, for a toolchain:
  # { system; shell = "/path/to/sh"; coreutils = "/path/to/coreutils/bin"; }.
  # The Nix library under default.nix passes nixpkgs' bash and coreutils;
  # the tests pass the host's /bin/sh and /bin.
  build =
    toolchain:
    let
      shQuote = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";

      # "a/b.json" and { a."b.json" = ...; } alike, checked.
      flatten =
        fn: prefix: tree:
        concatMap (
          name:
          let
            v = tree.${name};
            segments = filter isString (split "/" name);
            path = if prefix == "" then name else "${prefix}/${name}";
            bad = s: s == "" || s == "." || s == ".." || match ".*[\n].*" s != null;
          in
          if name == "" || substring 0 1 name == "/" || builtins.any bad segments then
            fail fn "${toJSON path} is not a relative file path"
          else if isTable v then
            flatten fn path v
          else if isString v then
            [ {
              inherit path;
              text = v;
            } ]
          else if isSecret v then
            [ {
              inherit path;
              text = "{{secrets.${secretPath fn [ path ] v}}}";
            } ]
          else
            fail fn "${toJSON path} must be the file's text (or a secret reference, for a file that holds only its value), not ${
              if isStringLike v || isPath v then "a store path: link such files from a directory of their own" else describe v
            }"
        ) (attrNames tree);

      # Two entries for one file, or a file where another entry needs a
      # directory, are refused here rather than left to the build.
      checkClashes =
        files:
        let
          paths = map (f: f.path) files;
          isFile = listToAttrs (map (p: {
            name = p;
            value = true;
          }) paths);
          parents =
            p:
            let
              segs = filter isString (split "/" p);
            in
            genList (i: concatStringsSep "/" (genList (j: elemAt segs j) (i + 1))) (length segs - 1);
          clash = filter (p: builtins.any (d: isFile ? ${d}) (parents p)) paths;
        in
        if length (attrNames isFile) != length paths then
          fail "writeConfigTree" "a file is given twice (as \"a/b\" and as a.b?): ${
            toJSON (filter (p: length (filter (q: q == p) paths) > 1) paths)
          }"
        else if clash != [ ] then
          fail "writeConfigTree" "${toJSON (head clash)} needs a directory where a file is given"
        else
          files;

      derivation' =
        name: attrs: script:
        derivation (
          {
            inherit name;
            inherit (toolchain) system;
            builder = toolchain.shell;
            args = [ "-c" ("set -eu\nPATH=" + shQuote toolchain.coreutils + "\n" + script) ];
            preferLocalBuild = true;
            allowSubstitutes = false;
          }
          // attrs
        );

      # A store directory with one file per entry: { "dir/name" = text; },
      # or nested sets { dir.name = text; }. A secret reference as the text
      # makes a file that holds the placeholder alone (filtered by the
      # file's extension when it is rendered).
      configTree =
        name: tree:
        let
          files = checkClashes (flatten "writeConfigTree" "" tree);
          n = length files;
          attr = i: "file${toString i}";
        in
        derivation' name
          (listToAttrs (genList (i: {
            name = attr i;
            value = (elemAt files i).text;
          }) n) // { passAsFile = genList attr n; })
          (
            "mkdir -p \"$out\"\n"
            + concatStringsSep "" (genList (i:
              let
                dest = "\"$out\"/" + shQuote (elemAt files i).path;
              in
              "mkdir -p \"$(dirname -- ${dest})\"\ncp \"\$${attr i}Path\" ${dest}\n") n)
          );

      # An executable file: $out, or $out/bin/NAME with bin = true.
      mkScript =
        { name, text, bin ? false }:
        derivation' name
          {
            text = "#!${toolchain.shell}\n" + text;
            passAsFile = [ "text" ];
          }
          (
            (if bin then "mkdir -p \"$out/bin\"\ndest=\"$out/bin/\"${shQuote name}\n" else "dest=\"$out\"\n")
            + "cp \"$textPath\" \"$dest\"\nchmod 0555 \"$dest\"\n"
          );

      runLine = { rigupExec, templates }: command:
        "exec ${shQuote rigupExec} -t ${shQuote "${templates}"} -- ${command} \"$@\"\n";
    in
    {
      inherit configTree;
      script = mkScript;

      # bin/NAME runs SCRIPT (a shell script) through rigup-exec, which
      # renders TEMPLATES first: the script reads $RIGUP_CONFIG_DIR (or
      # $XDG_CONFIG_HOME), which only exist once rigup-exec runs. With
      # callerConfigHome, the script gets the caller's XDG_CONFIG_HOME back
      # (or $HOME/.config), so that a harness which finds its rendered
      # files by path leaves the user's own tools their own configs; wrapped
      # tools it runs still get the rendered directory.
      entrypoint =
        {
          name,
          templates,
          script,
          rigupExec,
          callerConfigHome ? false,
        }:
        let
          inner = mkScript {
            name = "${name}-inner";
            text =
              (
                if callerConfigHome then
                  "export XDG_CONFIG_HOME=\"$RIGUP_CALLER_CONFIG_HOME\"\nunset RIGUP_CALLER_CONFIG_HOME\n"
                else
                  ""
              )
              + script;
          };
        in
        mkScript {
          inherit name;
          bin = true;
          text =
            (if callerConfigHome then "export RIGUP_CALLER_CONFIG_HOME=\"\${XDG_CONFIG_HOME:-$HOME/.config}\"\n" else "")
            + runLine { inherit rigupExec templates; } (shQuote "${inner}");
        }
        // {
          inherit inner;
        };

      # Every executable in the tools' bin/ as a script that runs it, by its
      # store path, through rigup-exec; the tools' other top-level
      # directories (share/, ...) are linked. Inside a rigup-exec session
      # for the same TEMPLATES, the nested run reuses the directory.
      wrapTools =
        { name, tools, templates, rigupExec }:
        derivation' name
          {
            tools = map toString tools;
            line = runLine { inherit rigupExec templates; } "\"$exe\"";
            shebang = "#!${toolchain.shell}";
          }
          ''
            mkdir -p "$out/bin"
            for tool in $tools; do
              if [ ! -d "$tool/bin" ]; then
                echo "rigup-exec wrapWithSecrets: $tool has no bin/ directory: give packages, not single files" >&2
                exit 1
              fi
              for exe in "$tool"/bin/*; do
                [ -f "$exe" ] && [ -x "$exe" ] || continue
                name=''${exe##*/}
                case $exe in
                *"'"* | *'"'* | *'$'* | *'`'* | *'\'*)
                  echo "rigup-exec wrapWithSecrets: cannot wrap $exe: its path holds a quote, \$, \` or \\" >&2
                  exit 1 ;;
                esac
                if [ -e "$out/bin/$name" ]; then
                  echo "rigup-exec wrapWithSecrets: two tools provide bin/$name" >&2
                  exit 1
                fi
                printf '%s\nexe="%s"\n%s' "$shebang" "$exe" "$line" > "$out/bin/$name"
                chmod 0555 "$out/bin/$name"
              done
              # share/, lib/, ... merged as symlinkJoin does: directories
              # made, files linked, the first tool's file kept.
              for entry in "$tool"/*; do
                [ -e "$entry" ] && [ "''${entry##*/}" != bin ] || continue
                cp -RsnL --no-preserve=mode "$entry" "$out/"
              done
            done
            if [ -z "$(ls "$out/bin")" ]; then
              echo "rigup-exec wrapWithSecrets: no executable in the bin/ of $tools" >&2
              exit 1
            fi
          '';
    };
in
{
  inherit
    mkSecret
    isSecret
    isValidPath
    secretPaths
    containsSecrets
    placeholder
    toTOML
    build
    ;
  toJSON = jsonLike "toJSON" "json";
  toYAML = jsonLike "toYAML" "yaml";

  # For a devShell's shellHook: the template root for rigup-exec, which
  # decrypts nothing and exports no value.
  shellHook = { templates }: "export RIGUP_TEMPLATES=${"'" + replaceStrings [ "'" ] [ "'\\''" ] "${templates}" + "'"}\n";
}
