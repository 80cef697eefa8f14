-- The tier of the license a device-bound proxy key belongs to, announced on every proxy-key.issued of the key so
-- proxies can apply tier quota policies per license. Null for keys a person created.
alter table proxy_key
    add column license_tier varchar(32);

-- Device keys issued before this migration take their license's tier; they are announced with it on their next
-- change (scope, rotation, re-activation).
update proxy_key k
   set license_tier = l.tier
  from license l
 where k.license_id = l.id
   and k.license_tier is null;
