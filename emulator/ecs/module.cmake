# ECS: the instances of an account (ecs_instance.c, the "ECS" world section)
# and the instance metadata service the SDKs' ECS RAM-role credential
# providers read (ecs_metadata.c), behind the admin guard's browser checks.
add_library(emu_ecs STATIC emulator/ecs/ecs_instance.c emulator/ecs/ecs_metadata.c)
target_include_directories(emu_ecs PUBLIC include PRIVATE emulator/ecs)
target_link_libraries(emu_ecs PUBLIC emu_dispatch emu_admin emu_world emu_core PRIVATE emu_warnings)
