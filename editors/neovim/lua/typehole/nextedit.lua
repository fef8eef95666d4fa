-- Next-edit suggestions (`typehole/nextEdit`): after a change, ask where the next edit goes and
-- show it: the old text highlighted, the new text at the end of its line, and a "Tab to jump"
-- hint on the cursor's line when it is elsewhere. <Tab> in normal mode jumps, then applies.
-- Quietly off when the server answers MethodNotFound.
local util = require("typehole.util")

local M = {}
M.ns = vim.api.nvim_create_namespace("typehole_next_edit")
M.debounce_ms = 300
M.enabled = true
M.key = "<Tab>"

local shown = {} -- bufnr -> { edit, client_id }
local timers = {}

function M.clear(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  if shown[bufnr] then
    pcall(vim.keymap.del, "n", M.key, { buffer = bufnr })
    shown[bufnr] = nil
  end
end

function M.current(bufnr)
  local s = shown[bufnr or vim.api.nvim_get_current_buf()]
  return s and s.edit or nil
end

local function byte_range(bufnr, range, encoding)
  local srow, erow = range.start.line, range["end"].line
  local scol = util.byte_col(util.line(bufnr, srow), range.start.character, encoding)
  local ecol = util.byte_col(util.line(bufnr, erow), range["end"].character, encoding)
  return srow, scol, erow, ecol
end

local function preview(text)
  local first = vim.split(text, "\n", { plain = true })[1]
  if #first > 80 then
    first = first:sub(1, 79) .. "…"
  end
  return text:find("\n") and (first .. " …") or (first ~= "" and first or "(delete)")
end

--- Show `edit` (from typehole/nextEdit) in `bufnr`.
function M.show(bufnr, client, edit)
  M.clear(bufnr)
  local srow, scol, erow, ecol = byte_range(bufnr, edit.range, client.offset_encoding)
  if srow >= vim.api.nvim_buf_line_count(bufnr) then
    return
  end
  local old = table.concat(vim.api.nvim_buf_get_text(bufnr, srow, scol, erow, ecol, {}), "\n")
  if old == edit.newText then
    return
  end
  shown[bufnr] = { edit = edit, client_id = client.id }
  if srow ~= erow or scol ~= ecol then
    vim.api.nvim_buf_set_extmark(bufnr, M.ns, srow, scol, { end_row = erow, end_col = ecol, hl_group = "TypeholeNextEditOld" })
  end
  vim.api.nvim_buf_set_extmark(bufnr, M.ns, erow, 0, {
    virt_text = { { "  → " .. preview(edit.newText), "TypeholeNextEditNew" } },
    virt_text_pos = "eol",
  })
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  if row < srow or row > erow then
    local reason = edit.reason and (": " .. edit.reason) or ""
    vim.api.nvim_buf_set_extmark(bufnr, M.ns, row, 0, {
      virt_text = { { ("  ⇥ Tab to jump to line %d%s"):format(srow + 1, reason), "TypeholeNextEditHint" } },
      virt_text_pos = "eol",
    })
  end
  vim.keymap.set("n", M.key, function()
    M.tab(bufnr)
  end, { buffer = bufnr, desc = "typehole: jump to / apply the next edit" })
end

--- Jump to the shown edit, or apply it when the cursor is on it.
function M.tab(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local s = shown[bufnr]
  if not s then
    return false
  end
  local client = vim.lsp.get_client_by_id(s.client_id)
  local encoding = client and client.offset_encoding or "utf-16"
  local srow, scol, erow, ecol = byte_range(bufnr, s.edit.range, encoding)
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  if row < srow or row > erow then
    vim.api.nvim_win_set_cursor(0, { srow + 1, scol })
    if client then
      M.show(bufnr, client, s.edit)
    end
    return true
  end
  M.clear(bufnr)
  util.insert(bufnr, srow, scol, erow, ecol, s.edit.newText)
  if client then
    util.run_command(client, s.edit.command, bufnr)
  end
  return true
end

--- Ask for the next edit at the cursor now; `on_done(edits)` runs after the answer is handled.
function M.request(bufnr, on_done)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = util.client(bufnr)
  if not client or not M.enabled or client.typehole_no_next_edit then
    return
  end
  local version = vim.lsp.util.buf_versions[bufnr]
  local params = util.position_params(client)
  params.textDocument.version = version
  util.request(client, "typehole/nextEdit", params, function(err, result)
    if err then
      if err.code == util.METHOD_NOT_FOUND then
        client.typehole_no_next_edit = true
      end
      return on_done and on_done({})
    end
    local edits = result and result.edits or {}
    if vim.lsp.util.buf_versions[bufnr] == version then
      for _, edit in ipairs(edits) do
        local doc = edit.textDocument or {}
        if (doc.uri == nil or doc.uri == params.textDocument.uri) and (doc.version == nil or doc.version == version) then
          M.show(bufnr, client, edit)
          if shown[bufnr] then
            break
          end
        end
      end
    end
    if on_done then
      on_done(edits)
    end
  end, bufnr)
end

function M.schedule(bufnr)
  M.clear(bufnr)
  local timer = timers[bufnr]
  if not timer then
    timer = vim.uv.new_timer()
    timers[bufnr] = timer
  end
  timer:stop()
  timer:start(M.debounce_ms, 0, vim.schedule_wrap(function()
    if vim.api.nvim_buf_is_valid(bufnr) and vim.api.nvim_get_current_buf() == bufnr and vim.fn.mode() == "n" then
      M.request(bufnr)
    end
  end))
end

function M.attach(bufnr)
  local group = vim.api.nvim_create_augroup("typehole_next_edit_" .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ "TextChanged", "InsertLeave" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.schedule(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd({ "TextChangedI", "BufLeave" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.clear(bufnr)
    end,
  })
end

return M
