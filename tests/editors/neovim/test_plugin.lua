-- Headless Neovim against the real typehole server: the plugin attaches on a real file (httpx),
-- gets an inline completion, draws it as extmark ghost text, and accepts it (word, then whole).
-- Run: nvim --headless --clean -u NONE -l test_plugin.lua   (see scripts/test_editors.sh)
-- Env: TYPEHOLE_PLUGIN (editors/neovim), TYPEHOLE_PROJECT (a copy of httpx), TYPEHOLE_PYTHON.
local plugin, project, python = vim.env.TYPEHOLE_PLUGIN, vim.env.TYPEHOLE_PROJECT, vim.env.TYPEHOLE_PYTHON
vim.opt.runtimepath:prepend(plugin)
vim.o.virtualedit = "onemore" -- the cursor may sit after the last character, as in insert mode
vim.cmd("filetype on")

local passed, failed, skipped = 0, 0, 0
local function out(line)
  io.stdout:write(line .. "\n")
end
local function check(name, fn)
  local ok, err = pcall(fn)
  if ok and err == "skip" then
    skipped = skipped + 1
  elseif ok then
    passed = passed + 1
    out("ok - " .. name)
  else
    failed = failed + 1
    out("not ok - " .. name .. ": " .. tostring(err))
  end
end
local function wait(ms, cond, what)
  if not vim.wait(ms, cond, 20) then
    error("timed out waiting for " .. what, 2)
  end
end

local notes = {}
vim.notify = function(message, level)
  notes[#notes + 1] = { message = message, level = level }
end

local typehole = require("typehole")
local ghost, nextedit, util = typehole.ghost, typehole.next_edit, require("typehole.util")
typehole.setup({ cmd = { python, "-m", "typehole", "--log-level", "warning", "serve" }, native = false })

-- Record what the plugin sends, to check acceptance is reported.
local sent = {}
local request = util.request
util.request = function(client, method, params, handler, bufnr)
  sent[#sent + 1] = { method = method, params = params }
  return request(client, method, params, handler, bufnr)
end
local learned = false
vim.api.nvim_create_autocmd("LspProgress", {
  callback = function(args)
    local value = args.data and args.data.params and args.data.params.value
    if value and value.kind == "end" then
      learned = true
    end
  end,
})

local HOLE = "        self._timeout = "
local file = project .. "/httpx/_client.py"
vim.cmd.edit(vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
local row
for i, line in ipairs(lines) do
  if line == "        self._timeout = Timeout(timeout)" then
    row = i - 1
    break
  end
end
vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { HOLE })
local function at_hole()
  vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { HOLE })
  vim.api.nvim_win_set_cursor(0, { row + 1, #HOLE })
end

check("the plugin starts the server and attaches", function()
  wait(30000, function()
    return util.client(buf) ~= nil and util.client(buf).initialized
  end, "typehole to attach")
  wait(30000, function()
    return typehole.status.state == "ok"
  end, "typehole/status ok")
  assert(typehole.statusline():find("ngram"), typehole.statusline())
  wait(120000, function()
    return learned
  end, "workspace learned ($/progress end)")
end)

local function request_ghost()
  at_hole()
  local done = false
  ghost.request(buf, function()
    done = true
  end)
  wait(30000, function()
    return done
  end, "an inline completion answer")
  assert(ghost.visible(buf), "a suggestion is shown")
end

local suggestion
check("inline completion is drawn as extmark ghost text at the cursor", function()
  request_ghost()
  suggestion = ghost.current_text(buf)
  assert(suggestion and #suggestion > 0, "non-empty suggestion")
  local marks = vim.api.nvim_buf_get_extmarks(buf, ghost.ns, 0, -1, { details = true })
  assert(#marks == 1, "one extmark, got " .. #marks)
  local _, mrow, mcol, details = unpack(marks[1])
  assert(mrow == row and mcol == #HOLE, ("extmark at %d:%d"):format(mrow, mcol))
  local first = vim.split(suggestion, "\n", { plain = true })[1]
  assert(details.virt_text[1][1] == first, "virt_text shows the suggestion's first line")
  assert(details.virt_text_pos == "inline")
  assert(vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] == HOLE, "the buffer is unchanged")
end)

check("dismiss clears the ghost text", function()
  ghost.dismiss(buf)
  assert(not ghost.visible(buf))
  assert(#vim.api.nvim_buf_get_extmarks(buf, ghost.ns, 0, -1, {}) == 0)
end)

check("cycle keeps a suggestion shown", function()
  request_ghost()
  ghost.cycle(buf, 1)
  assert(ghost.visible(buf))
  assert(ghost.current_text(buf) == suggestion, "a single item cycles onto itself")
end)

check("accept word, then accept the rest: the buffer holds the suggestion", function()
  local word = suggestion:match("^%s*[%w_]+") or suggestion:match("^%s*[^%w_%s]") or suggestion
  ghost.accept_word(buf)
  local line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1]
  assert(line == HOLE .. word, ("after accept word: %q"):format(line))
  if #word < #suggestion then
    assert(ghost.current_text(buf) == suggestion:sub(#word + 1), "the rest is still shown")
    ghost.accept(buf)
  end
  local expected = vim.split(HOLE .. suggestion, "\n", { plain = true })
  local got = vim.api.nvim_buf_get_lines(buf, row, row + #expected, false)
  assert(vim.deep_equal(got, expected), ("buffer: %s"):format(vim.inspect(got)))
  assert(not ghost.visible(buf))
  assert(#vim.api.nvim_buf_get_extmarks(buf, ghost.ns, 0, -1, {}) == 0)
  local cursor = vim.api.nvim_win_get_cursor(0)
  assert(cursor[1] == row + #expected and cursor[2] == #expected[#expected], "cursor after the text")
end)

check("acceptance is reported through the item command", function()
  local last = sent[#sent]
  assert(last.method == "workspace/executeCommand", last.method)
  assert(last.params.command == "typehole.accepted", last.params.command)
end)

check("next edit is shown, or quietly off when the server lacks typehole/nextEdit", function()
  local done, edits = false, nil
  nextedit.request(buf, function(found)
    done, edits = true, found
  end)
  wait(30000, function()
    return done
  end, "a next-edit answer")
  local client = util.client(buf)
  if client.typehole_no_next_edit then
    out("ok - next edit # SKIP server answers MethodNotFound for typehole/nextEdit")
    return "skip"
  end
  for _, edit in ipairs(edits) do
    assert(type(edit.newText) == "string" and edit.range, "edit shape")
  end
  if nextedit.current(buf) then
    assert(#vim.api.nvim_buf_get_extmarks(buf, nextedit.ns, 0, -1, {}) > 0, "next edit drawn")
  end
end)

check(":Typehole toggle and model push settings the server accepts", function()
  vim.cmd("Typehole toggle")
  assert(not ghost.enabled)
  vim.cmd("Typehole toggle")
  assert(ghost.enabled)
  vim.cmd("Typehole model ngram")
  vim.wait(500)
  for _, note in ipairs(notes) do
    assert(not note.message:find("typehole:"), "server complained: " .. note.message)
  end
end)

check(":Typehole commands exist", function()
  local completions = vim.fn.getcompletion("Typehole ", "cmdline")
  for _, name in ipairs({ "status", "toggle", "model", "docstring", "context", "nextedit", "restart" }) do
    assert(vim.tbl_contains(completions, name), name)
  end
end)

for _, client in ipairs(vim.lsp.get_clients({ name = "typehole" })) do
  if util.nvim_011 then
    client:stop()
  else
    client.stop()
  end
end
vim.wait(2000, function()
  return #vim.lsp.get_clients({ name = "typehole" }) == 0
end)
out(("%d passed, %d failed, %d skipped (neovim %s)"):format(passed, failed, skipped, tostring(vim.version())))
os.exit(failed == 0 and 0 or 1)
