/*
 * Server instrumentation (SIL) of the netsla lab router's native module
 * for netconfd (yuma123): serves the config false container
 * /nr:native-state when a <get> asks for it.
 *
 * The router's prober renders the state as an XML document of that
 * container (lab.nativestate) and replaces the file atomically; this
 * library only hands the newest file to netconfd, which parses it against
 * the module.  The file is named by the environment variable
 * NETSLA_NATIVE_STATE.  No file (or an unreadable one) gives an empty
 * container: a <get> never fails for want of results.
 *
 * netconfd finds this library as libnetsla-router.so through
 * $YUMA_RUNPATH and calls the three y_netsla_router_* functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procdefs.h"
#include "agt.h"
#include "cfg.h"
#include "getcb.h"
#include "ncx.h"
#include "ncxmod.h"
#include "obj.h"
#include "status.h"
#include "val.h"
#include "val_set_cplxval_obj.h"

#define MODULE_NAME "netsla-router"
#define STATE_NAME "native-state"
#define STATE_FILE_VARIABLE "NETSLA_NATIVE_STATE"
#define STATE_FILE_LIMIT (16L * 1024L * 1024L)
#define EMPTY_STATE \
    "<native-state xmlns=\"urn:netsla:yang:netsla-router\"/>"

static ncx_module_t *router_module;
static obj_template_t *state_object;

/* The whole file at 'path' as a NUL-terminated string, or NULL. */
static char *read_state_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    char *text = NULL;
    long size;

    if (file == NULL) {
        return NULL;
    }
    if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) > 0
        && size <= STATE_FILE_LIMIT && fseek(file, 0, SEEK_SET) == 0) {
        text = malloc((size_t)size + 1);
        if (text != NULL && fread(text, 1, (size_t)size, file) == (size_t)size) {
            text[size] = '\0';
        } else {
            free(text);
            text = NULL;
        }
    }
    fclose(file);
    return text;
}

/* getcb_fn_t of the virtual /native-state node: fill dstval from the file. */
static status_t get_native_state(ses_cb_t *scb, getcb_mode_t cbmode,
                                 const val_value_t *virval,
                                 val_value_t *dstval)
{
    const char *path = getenv(STATE_FILE_VARIABLE);
    char *text;
    status_t res;

    (void)scb;
    if (cbmode != GETCB_GET_VALUE) {
        return ERR_NCX_OPERATION_NOT_SUPPORTED;
    }
    text = path != NULL ? read_state_file(path) : NULL;
    res = val_set_cplxval_obj(dstval, virval->obj, text != NULL ? text : EMPTY_STATE);
    free(text);
    return res;
}

status_t y_netsla_router_init(const xmlChar *modname, const xmlChar *revision)
{
    agt_profile_t *profile = agt_get_profile();
    status_t res;

    (void)modname;
    res = ncxmod_load_module((const xmlChar *)MODULE_NAME, revision,
                             &profile->agt_savedevQ, &router_module);
    if (res != NO_ERR) {
        return res;
    }
    state_object = ncx_find_object(router_module, (const xmlChar *)STATE_NAME);
    return state_object != NULL ? NO_ERR : SET_ERROR(ERR_NCX_DEF_NOT_FOUND);
}

status_t y_netsla_router_init2(void)
{
    cfg_template_t *running = cfg_get_config_id(NCX_CFGID_RUNNING);
    val_value_t *state;

    if (running == NULL || running->root == NULL) {
        return SET_ERROR(ERR_INTERNAL_VAL);
    }
    state = val_new_value();
    if (state == NULL) {
        return ERR_INTERNAL_MEM;
    }
    val_init_virtual(state, get_native_state, state_object);
    val_add_child(state, running->root);
    return NO_ERR;
}

void y_netsla_router_cleanup(void)
{
}
