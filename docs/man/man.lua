-- Turns docs/*.md into a man page (pandoc --lua-filter, pandoc >= 2.17).
--
-- A man page's sections are its top-level headings, written in capitals;
-- the doc's own title is replaced by the page's NAME. So: level-1 headings
-- are dropped, every other heading moves up one level (the page's head file
-- writes its sections as `##` for that reason), and the new top level is
-- set in capitals. A table of config keys (columns group, key, value,
-- command line) is too wide for a terminal: it becomes one subsection per
-- group with a tagged paragraph per key, as man pages list keys. Other
-- tables keep their relative column widths, scaled down so that tbl's gaps
-- between columns still fit in the line.
-- Links to other docs need nothing: the man writer prints the text of a
-- relative link and drops its target.

local stringify = pandoc.utils.stringify

local function is_key_table (tbl)
  local head = tbl.head.rows[1]
  if not head or #head.cells ~= 4 then
    return false
  end
  return stringify (head.cells[1].contents) == 'group'
      and stringify (head.cells[2].contents) == 'key'
end

local function inlines_of (blocks)
  local out = pandoc.List ()
  for i, b in ipairs (blocks) do
    if i > 1 then
      out:insert (pandoc.Space ())
    end
    if b.content then
      out:extend (b.content)
    end
  end
  return out
end

local function key_table_to_lists (tbl)
  local blocks = pandoc.List ()
  local group, items = nil, nil
  local function flush ()
    if group then
      blocks:insert (pandoc.Header (2, '[' .. group .. ']'))
      blocks:insert (pandoc.DefinitionList (items))
    end
  end
  for _, body in ipairs (tbl.bodies) do
    for _, row in ipairs (body.body) do
      local c = row.cells
      local g = stringify (c[1].contents)
      if g ~= group then
        flush ()
        group, items = g, pandoc.List ()
      end
      local def = inlines_of (c[3].contents)
      local cli = stringify (c[4].contents)
      if cli ~= '—' then
        def:insert (pandoc.Str ('.'))
        def:insert (pandoc.Space ())
        def:insert (pandoc.Str ('Command line:'))
        def:insert (pandoc.Space ())
        def:extend (inlines_of (c[4].contents))
      end
      items:insert ({ inlines_of (c[2].contents), { pandoc.Plain (def) } })
    end
  end
  flush ()
  return blocks
end

local function shift_header (h)
  if h.level == 1 then
    return {}
  end
  h.level = h.level - 1
  if h.level == 1 then
    h.content = h.content:walk {
      Str = function (s) return pandoc.Str (pandoc.text.upper (s.text)) end,
    }
  end
  return h
end

return {
  { Header = shift_header },
  { Table = function (tbl)
      if is_key_table (tbl) then
        return key_table_to_lists (tbl)
      end
      local specs = tbl.colspecs
      for _, spec in ipairs (specs) do
        if type (spec[2]) == 'number' then
          spec[2] = spec[2] * 0.85
        end
      end
      tbl.colspecs = specs
      return tbl
    end },
}
