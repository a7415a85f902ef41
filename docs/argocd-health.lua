-- Argo CD health check for audio.audionode.dev/AudioNode.
-- Install in the argocd-cm ConfigMap:
--   resource.customizations.health.audio.audionode.dev_AudioNode: |
--     <this file>
-- Healthy when the operator has seen the current generation and Ready is True;
-- Degraded when Degraded is True; Progressing otherwise.
local hs = {}
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to act on generation " .. tostring(obj.metadata.generation)
  return hs
end
local conds = {}
for _, c in ipairs(obj.status.conditions) do
  conds[c.type] = c
end
local function stale(c)
  return c.observedGeneration ~= nil and obj.metadata.generation ~= nil and c.observedGeneration ~= obj.metadata.generation
end
local d = conds["Degraded"]
if d ~= nil and d.status == "True" and not stale(d) then
  hs.status = "Degraded"
  hs.message = d.message or d.reason
  return hs
end
local r = conds["Ready"]
if r ~= nil and r.status == "True" and not stale(r) then
  hs.status = "Healthy"
  hs.message = r.message or r.reason
  return hs
end
hs.status = "Progressing"
local p = conds["Progressing"] or r
if p ~= nil then
  hs.message = p.message or p.reason
else
  hs.message = "Waiting for pods"
end
return hs
