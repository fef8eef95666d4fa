-- typehole for Neovim: starts `typehole serve` with vim.lsp.start, shows inline completions
-- (native vim.lsp.inline_completion on 0.12+, extmark ghost text on 0.10/0.11), next edits,
-- and `:Typehole` commands. No other plugin needed.
local util = require("typehole.util")
local ghost = require("typehole.ghost")
local nextedit = require("typehole.nextedit")

local M = {}

M.defaults = {
  -- The server command; nil: the project's .venv/bin/typehole, else `typehole` on PATH.
  cmd = nil,
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "setup.py", "setup.cfg", ".git" },
  -- Server settings (app/settings.py, camelCase), e.g. { model = "qwen", models = {...} }.
  settings = {},
  -- nil: native inline completion on Neovim 0.12+, extmark ghost text before.
  native = nil,
  next_edit = true,
  debounce_ms = 150,
  keymaps = {
    accept = "<Tab>", -- insert mode; falls through to a normal <Tab> when nothing is shown
    accept_word = "<M-Right>",
    accept_line = "<M-Down>",
    dismiss = "<C-]>",
    next = "<M-]>",
    prev = "<M-[>",
    next_edit = "<Tab>", -- normal mode, only while a next edit is shown
  },
}

M.config = vim.deepcopy(M.defaults)
M.status = { model = "", state = "starting", message = "" }

local function use_native()
  if M.config.native ~= nil then
    return M.config.native
  end
  return util.nvim_012 and vim.lsp.inline_completion ~= nil
end

--- The command that starts the server, or nil with a message saying how to install it.
function M.server_cmd(root)
  if M.config.cmd then
    return M.config.cmd
  end
  for _, dir in ipairs({ ".venv", "venv", "env" }) do
    local exe = vim.fs.joinpath(root, dir, "bin", "typehole")
    if vim.fn.executable(exe) == 1 then
      return { exe, "serve" }
    end
  end
  if vim.env.VIRTUAL_ENV and vim.fn.executable(vim.env.VIRTUAL_ENV .. "/bin/typehole") == 1 then
    return { vim.env.VIRTUAL_ENV .. "/bin/typehole", "serve" }
  end
  if vim.fn.executable("typehole") == 1 then
    return { vim.fn.exepath("typehole"), "serve" }
  end
  return nil
end

local warned = false

--- Start (or reuse) the server for `bufnr`; returns the client id.
function M.start(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local root = vim.fs.root(bufnr, M.config.root_markers) or vim.fn.getcwd()
  local cmd = M.server_cmd(root)
  if not cmd then
    if not warned then
      warned = true
      vim.notify(
        "typehole: `typehole` not found in the project's .venv or on PATH. Install it with `python -m pip install /path/to/typehole (a checkout of this repository)`, or pass `cmd` to setup().",
        vim.log.levels.ERROR
      )
    end
    return nil
  end
  return vim.lsp.start({
    name = "typehole",
    cmd = cmd,
    root_dir = root,
    init_options = util.settings_object(M.config.settings),
    settings = { typehole = util.settings_object(M.config.settings) },
    handlers = {
      ["typehole/status"] = function(_, result)
        M.status = result
        vim.api.nvim_exec_autocmds("User", { pattern = "TypeholeStatus", modeline = false, data = result })
      end,
    },
  }, { bufnr = bufnr })
end

local function map(mode, lhs, fn, bufnr, desc, fallback)
  if not lhs or lhs == "" then
    return
  end
  vim.keymap.set(mode, lhs, function()
    if not fn() and fallback then
      vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(lhs, true, false, true), "n", false)
    end
  end, { buffer = bufnr, desc = "typehole: " .. desc })
end

local function on_attach(client, bufnr)
  local keys = M.config.keymaps
  if use_native() then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
    map("i", keys.accept, function()
      return vim.lsp.inline_completion.get()
    end, bufnr, "accept suggestion", true)
    map("i", keys.next, function()
      vim.lsp.inline_completion.select({ count = 1 })
      return true
    end, bufnr, "next suggestion")
    map("i", keys.prev, function()
      vim.lsp.inline_completion.select({ count = -1 })
      return true
    end, bufnr, "previous suggestion")
  else
    ghost.attach(bufnr)
    map("i", keys.accept, function()
      return ghost.accept(bufnr)
    end, bufnr, "accept suggestion", true)
    map("i", keys.accept_word, function()
      return ghost.accept_word(bufnr)
    end, bufnr, "accept word", true)
    map("i", keys.accept_line, function()
      return ghost.accept_line(bufnr)
    end, bufnr, "accept line", true)
    map("i", keys.dismiss, function()
      local was = ghost.visible(bufnr)
      ghost.dismiss(bufnr)
      return was
    end, bufnr, "dismiss suggestion", true)
    map("i", keys.next, function()
      ghost.cycle(bufnr, 1)
      return true
    end, bufnr, "next suggestion")
    map("i", keys.prev, function()
      ghost.cycle(bufnr, -1)
      return true
    end, bufnr, "previous suggestion")
  end
  if M.config.next_edit then
    nextedit.attach(bufnr)
  end
end

--- Push the current settings to running servers (workspace/didChangeConfiguration).
function M.push_settings()
  for _, client in ipairs(vim.lsp.get_clients({ name = "typehole" })) do
    local settings = util.settings_object(M.config.settings)
    client.settings = { typehole = settings }
    util.notify(client, "workspace/didChangeConfiguration", { settings = { typehole = settings } })
  end
end

--- A short string for a statusline: model and health.
function M.statusline()
  if #vim.lsp.get_clients({ name = "typehole" }) == 0 then
    return ""
  end
  local icon = ({ ok = "●", degraded = "◐", down = "○" })[M.status.state] or "…"
  local off = ghost.enabled and "" or " (off)"
  return ("typehole %s %s%s"):format(icon, M.status.model or "", off)
end

local subcommands = {}

function subcommands.status()
  local s = M.status
  print(("typehole: %s %s %s"):format(s.model or "?", s.state or "?", s.message or ""))
end

function subcommands.toggle()
  ghost.enabled = not ghost.enabled
  M.config.settings.completion = M.config.settings.completion or {}
  M.config.settings.completion.enabled = ghost.enabled
  M.push_settings()
  if use_native() then
    vim.lsp.inline_completion.enable(ghost.enabled)
  end
  if not ghost.enabled then
    ghost.dismiss()
  end
  print("typehole: suggestions " .. (ghost.enabled and "on" or "off"))
end

function subcommands.model(name)
  if not name or name == "" then
    local names = { "embedded", "ngram" }
    for model in pairs(M.config.settings.models or {}) do
      names[#names + 1] = model
    end
    vim.ui.select(names, { prompt = "typehole model" }, function(choice)
      if choice then
        subcommands.model(choice)
      end
    end)
    return
  end
  M.config.settings.model = name
  M.push_settings()
end

function subcommands.docstring()
  vim.lsp.buf.code_action({
    filter = function(action)
      return action.title:lower():find("docstring") ~= nil
    end,
    apply = true,
  })
end

function subcommands.context()
  local client = util.client()
  if not client then
    return
  end
  util.request(client, "typehole/context", util.position_params(client), function(err, result)
    if err then
      local why = err.code == util.METHOD_NOT_FOUND and "this server does not offer typehole/context" or err.message
      vim.notify("typehole: " .. why, vim.log.levels.WARN)
      return
    end
    if not result then
      vim.notify("typehole: no context here", vim.log.levels.INFO)
      return
    end
    local lines = { "# typehole context", "" }
    if result.hole then
      lines[#lines + 1] = ("hole: %s, expected type: %s"):format(result.hole.kind or "?", tostring(result.hole.expected_type))
      lines[#lines + 1] = ""
    end
    vim.list_extend(lines, vim.split(result.prompt or "", "\n", { plain = true }))
    vim.cmd("new")
    vim.bo.buftype, vim.bo.bufhidden, vim.bo.filetype = "nofile", "wipe", "markdown"
    vim.api.nvim_buf_set_lines(0, 0, -1, false, lines)
  end)
end

function subcommands.complete()
  ghost.request()
end

function subcommands.nextedit()
  nextedit.request()
end

function subcommands.restart()
  for _, client in ipairs(vim.lsp.get_clients({ name = "typehole" })) do
    if util.nvim_011 then
      client:stop()
    else
      client.stop()
    end
  end
  vim.defer_fn(function()
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) then
        M.start(buf)
      end
    end
  end, 500)
end

function subcommands.log()
  vim.cmd("tabnew " .. vim.fn.fnameescape(vim.lsp.get_log_path()))
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  ghost.debounce_ms = M.config.debounce_ms
  if M.config.keymaps.next_edit then
    nextedit.key = M.config.keymaps.next_edit
  end
  vim.api.nvim_set_hl(0, "TypeholeGhost", { link = "Comment", default = true })
  vim.api.nvim_set_hl(0, "TypeholeNextEditOld", { link = "DiffDelete", default = true })
  vim.api.nvim_set_hl(0, "TypeholeNextEditNew", { link = "DiffAdd", default = true })
  vim.api.nvim_set_hl(0, "TypeholeNextEditHint", { link = "Comment", default = true })

  local group = vim.api.nvim_create_augroup("typehole", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.start(args.buf)
    end,
  })
  vim.api.nvim_create_autocmd("LspAttach", {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == "typehole" then
        on_attach(client, args.buf)
      end
    end,
  })
  vim.api.nvim_create_user_command("Typehole", function(cmd)
    local name, arg = cmd.fargs[1] or "status", cmd.fargs[2]
    local fn = subcommands[name]
    if not fn then
      vim.notify("typehole: unknown command " .. name, vim.log.levels.ERROR)
      return
    end
    fn(arg)
  end, {
    nargs = "*",
    complete = function()
      return vim.tbl_keys(subcommands)
    end,
    desc = "typehole: status | toggle | model [NAME] | docstring | context | complete | nextedit | restart | log",
  })
  -- Buffers already open when setup() runs.
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) then
      M.start(buf)
    end
  end
end

M.ghost = ghost
M.next_edit = nextedit
return M
