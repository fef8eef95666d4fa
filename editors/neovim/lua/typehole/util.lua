-- Small helpers shared by the typehole plugin: version checks, requests that work on Neovim
-- 0.10 (client.request) and 0.11+ (client:request), and LSP position <-> byte column.
local M = {}

M.nvim_011 = vim.fn.has("nvim-0.11") == 1
M.nvim_012 = vim.fn.has("nvim-0.12") == 1
M.METHOD_NOT_FOUND = -32601

--- Send a request; returns the request id (or nil).
function M.request(client, method, params, handler, bufnr)
  local ok, id
  if M.nvim_011 then
    ok, id = client:request(method, params, handler, bufnr)
  else
    ok, id = client.request(method, params, handler, bufnr)
  end
  return ok and id or nil
end

function M.cancel(client, id)
  if not id then
    return
  end
  if M.nvim_011 then
    client:cancel_request(id)
  else
    client.cancel_request(id)
  end
end

function M.notify(client, method, params)
  if M.nvim_011 then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

--- Position params in the client's encoding, with an inline-completion context.
function M.position_params(client, win)
  local params = vim.lsp.util.make_position_params(win or 0, client.offset_encoding)
  return params
end

--- Byte column in `line` for an LSP `character` in `encoding`.
function M.byte_col(line, character, encoding)
  if encoding == "utf-8" then
    return math.min(character, #line)
  end
  local ok, col
  if M.nvim_011 then
    ok, col = pcall(vim.str_byteindex, line, encoding, character, false)
  else
    ok, col = pcall(vim.str_byteindex, line, character, encoding == "utf-16")
  end
  return ok and col or #line
end

function M.line(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
end

--- The typehole client attached to `bufnr`.
function M.client(bufnr)
  return vim.lsp.get_clients({ name = "typehole", bufnr = bufnr or vim.api.nvim_get_current_buf() })[1]
end

--- Insert text (may span lines) at (row, col) replacing up to (end_row, end_col); cursor after it.
function M.insert(bufnr, row, col, end_row, end_col, text)
  local lines = vim.split(text, "\n", { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, col, end_row, end_col, lines)
  local last_row = row + #lines - 1
  local last_col = (#lines == 1 and col or 0) + #lines[#lines]
  local win = vim.fn.bufwinid(bufnr)
  if win ~= -1 then
    vim.api.nvim_win_set_cursor(win, { last_row + 1, last_col })
  end
end

--- Run a server command the way an editor does after acceptance (workspace/executeCommand).
function M.run_command(client, command, bufnr)
  if type(command) ~= "table" or not command.command then
    return
  end
  M.request(client, "workspace/executeCommand", { command = command.command, arguments = command.arguments }, function() end, bufnr)
end

--- Settings as JSON objects: an empty Lua table would be sent as `[]`.
local LISTS = { exclude = true, stop = true }
function M.settings_object(value, key)
  if type(value) ~= "table" or LISTS[key] or vim.islist(value) and #value > 0 then
    return value
  end
  local out = vim.empty_dict()
  for k, v in pairs(value) do
    out[k] = M.settings_object(v, k)
  end
  return out
end

return M
