-- Inline completion ghost text for Neovim 0.10/0.11 (0.12 has vim.lsp.inline_completion):
-- request `textDocument/inlineCompletion` as the user types, draw the first suggestion with
-- extmarks, and accept it (whole or word by word), dismiss it, or cycle through suggestions.
local util = require("typehole.util")

local M = {}
M.ns = vim.api.nvim_create_namespace("typehole_ghost")
M.debounce_ms = 150
M.enabled = true

-- Per buffer: { items, index, row, col, tick, client_id } while a suggestion is shown.
local shown = {}
local pending = {} -- bufnr -> { client, id }
local timers = {}

local function item_text(item)
  local text = item.insertText
  if type(text) == "table" then
    text = text.value -- StringValue snippet: shown as plain text
  end
  return text or ""
end

--- Clear the ghost text (and cancel a request in flight) in `bufnr`.
function M.dismiss(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  shown[bufnr] = nil
  local p = pending[bufnr]
  if p then
    util.cancel(p.client, p.id)
    pending[bufnr] = nil
  end
end

function M.visible(bufnr)
  return shown[bufnr or vim.api.nvim_get_current_buf()] ~= nil
end

--- The text of the suggestion on display, from the cursor on (nil when none).
function M.current_text(bufnr)
  local s = shown[bufnr or vim.api.nvim_get_current_buf()]
  return s and s.text or nil
end

local function render(bufnr)
  local s = shown[bufnr]
  vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  if not s or s.text == "" then
    shown[bufnr] = nil
    return
  end
  local lines = vim.split(s.text, "\n", { plain = true })
  local virt_lines = {}
  for i = 2, #lines do
    virt_lines[#virt_lines + 1] = { { lines[i], "TypeholeGhost" } }
  end
  vim.api.nvim_buf_set_extmark(bufnr, M.ns, s.row, s.col, {
    virt_text = { { lines[1], "TypeholeGhost" } },
    virt_text_pos = "inline",
    virt_lines = #virt_lines > 0 and virt_lines or nil,
    hl_mode = "combine",
  })
end

--- Show `items` (from an inline completion answer) at (row, col) of `bufnr`.
function M.show(bufnr, client, items, row, col)
  if #items == 0 then
    return M.dismiss(bufnr)
  end
  shown[bufnr] = { items = items, index = 1, row = row, col = col, tick = vim.b[bufnr].changedtick, client_id = client.id }
  M.select(bufnr, 1)
end

--- Make item `index` current: drop the part of it the user already typed.
function M.select(bufnr, index)
  local s = shown[bufnr]
  if not s then
    return
  end
  s.index = ((index - 1) % #s.items) + 1
  local item = s.items[s.index]
  local text = item_text(item)
  s.replace_end = nil
  if item.range then
    local client = vim.lsp.get_client_by_id(s.client_id)
    local encoding = client and client.offset_encoding or "utf-16"
    local start_line = util.line(bufnr, item.range.start.line)
    local start_col = util.byte_col(start_line, item.range.start.character, encoding)
    if item.range.start.line == s.row and start_col < s.col then
      local typed = start_line:sub(start_col + 1, s.col)
      if text:sub(1, #typed) == typed then
        text = text:sub(#typed + 1)
      end
    end
    local end_line = util.line(bufnr, item.range["end"].line)
    local end_col = util.byte_col(end_line, item.range["end"].character, encoding)
    if item.range["end"].line == s.row and end_col > s.col then
      s.replace_end = end_col
    end
  end
  s.text = text
  render(bufnr)
end

function M.cycle(bufnr, step)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local s = shown[bufnr]
  if s then
    M.select(bufnr, s.index + (step or 1))
  end
end

local function current_position(bufnr)
  local win = vim.fn.bufwinid(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(win ~= -1 and win or 0)
  return cursor[1] - 1, cursor[2]
end

--- Ask the server for suggestions at the cursor; `on_done(items)` runs after they are shown.
function M.request(bufnr, on_done)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = util.client(bufnr)
  if not client or not M.enabled then
    return
  end
  M.dismiss(bufnr)
  local row, col = current_position(bufnr)
  local tick = vim.b[bufnr].changedtick
  local params = util.position_params(client, vim.fn.bufwinid(bufnr) ~= -1 and vim.fn.bufwinid(bufnr) or 0)
  params.context = { triggerKind = 2 } -- Automatic
  local method = client.typehole_inline_method or "textDocument/inlineCompletion"
  local id
  id = util.request(client, method, params, function(err, result)
    if pending[bufnr] and pending[bufnr].id == id then
      pending[bufnr] = nil
    end
    if err then
      if err.code == util.METHOD_NOT_FOUND and method ~= "typehole/inlineCompletion" then
        client.typehole_inline_method = "typehole/inlineCompletion"
        return M.request(bufnr, on_done)
      end
      return
    end
    -- Drop answers for text that changed or a cursor that moved meanwhile.
    if not vim.api.nvim_buf_is_valid(bufnr) or vim.b[bufnr].changedtick ~= tick then
      return
    end
    local now_row, now_col = current_position(bufnr)
    if now_row ~= row or now_col ~= col then
      return
    end
    local items = result and (result.items or result) or {}
    M.show(bufnr, client, items, row, col)
    if on_done then
      on_done(items)
    end
  end, bufnr)
  pending[bufnr] = { client = client, id = id }
end

--- Request after the user pauses typing.
function M.schedule(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  M.dismiss(bufnr)
  local timer = timers[bufnr]
  if not timer then
    timer = vim.uv.new_timer()
    timers[bufnr] = timer
  end
  timer:stop()
  timer:start(M.debounce_ms, 0, vim.schedule_wrap(function()
    if vim.api.nvim_buf_is_valid(bufnr) and vim.api.nvim_get_current_buf() == bufnr and vim.fn.mode():sub(1, 1) == "i" then
      M.request(bufnr)
    end
  end))
end

--- Insert `text` (a prefix of the suggestion, or all of it); returns true when something was.
local function insert(bufnr, text, whole)
  local s = shown[bufnr]
  local end_col = whole and s.replace_end or s.col
  util.insert(bufnr, s.row, s.col, s.row, end_col, text)
  local client = vim.lsp.get_client_by_id(s.client_id)
  local rest = s.text:sub(#text + 1)
  if whole or rest == "" then
    local item = s.items[s.index]
    shown[bufnr] = nil
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
    if client then
      util.run_command(client, item.command, bufnr)
    end
    return true
  end
  -- Keep showing the rest of the suggestion after the accepted word.
  s.row, s.col = current_position(bufnr)
  s.text, s.tick, s.replace_end = rest, vim.b[bufnr].changedtick, nil
  render(bufnr)
  return true
end

--- Accept the whole suggestion; false when none is shown.
function M.accept(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local s = shown[bufnr]
  if not s then
    return false
  end
  return insert(bufnr, s.text, true)
end

--- Accept the suggestion up to the end of its next word (leading spaces included).
function M.accept_word(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local s = shown[bufnr]
  if not s then
    return false
  end
  local word = s.text:match("^%s*[%w_]+") or s.text:match("^%s*[^%w_%s]") or s.text:match("^%s+") or s.text
  return insert(bufnr, word, false)
end

--- Accept the suggestion's first line.
function M.accept_line(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local s = shown[bufnr]
  if not s then
    return false
  end
  local line = s.text:match("^[^\n]*\n?")
  return insert(bufnr, line, false)
end

--- Wire the autocommands for one buffer.
function M.attach(bufnr)
  local group = vim.api.nvim_create_augroup("typehole_ghost_" .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ "TextChangedI", "TextChangedP" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      local s = shown[bufnr]
      if s and s.tick == vim.b[bufnr].changedtick then
        return -- our own insertion (accept word/line): keep showing the rest
      end
      M.schedule(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd({ "InsertLeave", "BufLeave" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.dismiss(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd("CursorMovedI", {
    group = group,
    buffer = bufnr,
    callback = function()
      local s = shown[bufnr]
      if s then
        local row, col = current_position(bufnr)
        if row ~= s.row or col ~= s.col then
          M.dismiss(bufnr)
        end
      end
    end,
  })
end

function M.detach(bufnr)
  pcall(vim.api.nvim_del_augroup_by_name, "typehole_ghost_" .. bufnr)
  M.dismiss(bufnr)
end

return M
