# Context7 (documentation for libraries) as a remote MCP server, with its API
# key from the project's secrets instead of the environment. Set another
# secret in rigup.toml:
#   [rigs.default.config.mcp-context7.apiKey]
#   _type = "secret"
#   path = "team.context7"
self:
{
  config,
  lib,
  rigupSecrets,
  ...
}:
{
  imports = [ self.riglets.secrets ];

  options.mcp-context7.apiKey = lib.mkOption {
    description = "Context7 API key: a reference to a key of rigup.secrets.toml.age";
    type = rigupSecrets.types.secret;
    default = rigupSecrets.mkSecret "mcp.context7_api_key";
    defaultText = lib.literalExpression ''rigupSecrets.mkSecret "mcp.context7_api_key"'';
  };

  config.mcpServers.context7 = {
    url = "https://mcp.context7.com/mcp";
    headers.CONTEXT7_API_KEY = "${config.mcp-context7.apiKey}";
  };

  config.riglets.mcp-context7.meta = {
    description = "Context7 MCP server (library documentation), its API key kept in the project's secrets";
    intent = "base";
    disclosure = "none";
    status = "example";
    version = "0.1.0";
  };
}
